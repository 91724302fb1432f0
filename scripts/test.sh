#!/usr/bin/env bash
# Set up .venv if needed and run the test suite (pytest) in two tiers: the fast tier (every
# test but those marked slow: commands called in-process, a few minutes), then the slow one
# (processes started, killed or interrupted, longer trainings). With arguments, pytest runs
# with them instead: `bash scripts/test.sh -m "not slow"` is the fast tier alone.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The pages' tests open them in Debian's chromium (driven by Playwright): install it if missing.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing and cannot be installed here: apt-get install chromium" >&2
  fi
fi
if [ $# -gt 0 ]; then
  exec .venv/bin/python -m pytest -q "$@"
fi
.venv/bin/python -m pytest -q -m "not slow" tests
.venv/bin/python -m pytest -q -m slow tests
