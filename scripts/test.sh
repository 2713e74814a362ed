#!/usr/bin/env bash
# The test command from the README, and what CI runs (.ci/run calls this script).
# Sets up everything on a fresh machine with only Python 3.11 and pip:
#   a virtual environment in .venv, the package with its test extras, and Debian's
#   chromium for the browser test of the HTML report (skipped if apt is unavailable).
# Then the guard rails (lint, import contracts, types, the examples typed as a user's
# code), then the tests and doctests.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# 0.3.0 renamed the distribution (extractor -> grounded-extractor): a .venv made before
# still holds the old one, whose metadata and script would sit beside the new.
if .venv/bin/python -m pip show --quiet extractor >/dev/null 2>&1; then
  .venv/bin/python -m pip uninstall --quiet --yes extractor
fi
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
echo "== mypy --strict and pyright on examples/ (a user's code: public names only, no plugin)" >&2
# As for an installed package, errors inside extractor are the step above's business
# (--follow-imports=silent); no config file, so no pydantic plugin. pyright reads
# [tool.pyright] in pyproject.toml (strict); its wheel bundles pyright and Node.js.
.venv/bin/mypy --strict --config-file= --follow-imports=silent --cache-dir=.mypy_cache/user --exclude '/build/' \
  --no-error-summary examples
pyright_says=$(PYRIGHT_PYTHON_IGNORE_WARNINGS=1 .venv/bin/pyright --warnings 2>&1) || { echo "$pyright_says" >&2; exit 1; }
echo "== pytest (tests and doctests)" >&2
# Cassettes replay only (record mode 'none' is pytest-recording's default) and the
# network is blocked, so a test that tries to reach a server fails instead of hanging.
exec .venv/bin/python -m pytest --block-network --allowed-hosts=127.0.0.1,localhost,::1 "$@"
