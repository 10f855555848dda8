#!/usr/bin/env bash
# Sets up vaekit in ./.venv: creates the environment once, installs the CPU build of
# PyTorch 2.13.0 only where no torch is present yet (a plain `pip install torch` would
# pull a multi-GB CUDA build), then vaekit itself (editable) with its test tools.
# Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
    "${pip[@]}" install torch==2.13.0
fi
"${pip[@]}" install -e '.[test]'
