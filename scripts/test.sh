#!/usr/bin/env bash
# The test command from the README, and what CI runs (.ci/run calls this script).
# Sets up everything on a fresh machine with only Python 3.11 and pip:
#   a virtual environment in .venv, the package with its test extras, and Debian's
#   chromium for the browser test of the HTML report (skipped if apt is unavailable).
# Then the guard rails (lint, import contracts, types), then the tests and doctests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[dev,ray]"
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; the browser test will be skipped" >&2
fi
echo "== ruff (lint)" >&2
.venv/bin/ruff check --quiet .
echo "== import-linter (layer contracts)" >&2
.venv/bin/lint-imports --no-cache >/dev/null || .venv/bin/lint-imports --no-cache
echo "== mypy (types of core, text, numbers, grounding, store, runs, pipeline)" >&2
.venv/bin/mypy --no-error-summary
echo "== pytest (tests and doctests)" >&2
# Cassettes replay only (record mode 'none' is pytest-recording's default) and the
# network is blocked, so a test that tries to reach a server fails instead of hanging.
exec .venv/bin/python -m pytest --block-network --allowed-hosts=127.0.0.1,localhost,::1 "$@"
