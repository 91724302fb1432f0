"""What the commands share: options and devices, logging, one-line errors (options), the CPU
thread count (threads) and Ctrl-C while loading (interrupt). Imports every other sub-package
may be used here; nothing else in lib imports lib.cli.

This face imports nothing: `import lib.cli.interrupt` and `lib.cli.threads` must run before
MXNet loads, so the commands import lib.cli.options themselves.
"""
