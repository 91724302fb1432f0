"""Imported first by every command: Ctrl-C while the rest is still loading (MXNet takes a second
or more to import) ends the command with one line and status 130, not a traceback.
lib.cli.run gives Ctrl-C back to Python (KeyboardInterrupt) once the command starts."""
import signal
import sys


def _quit(signum, frame):
    sys.stderr.write('interrupted\n')
    sys.exit(130)


signal.signal(signal.SIGINT, _quit)
