#!/usr/bin/env bash
# Installs the measured peers PyOD and SDV (and only those of their dependencies that .venv lacks)
# into benchmarks/.peers/, away from vaekit's environment: PyOD is a peer that
# benchmarks/anomaly_adbench.py measures, SDV (GaussianCopula, TVAE) one that benchmarks/tables.py
# measures, never vaekit dependencies. The benchmarks put the folder at the END of sys.path.
#
#   bash benchmarks/peers.sh          # from the repository root (or anywhere)
#
# pyod 3.6.7 requires joblib>=1.5, matplotlib, numpy>=1.19, numba>=0.51, scipy>=1.5.1,
# scikit-learn>=0.22 (and torch for its deep models). .venv already has all of them but
# numba, so everything goes in with --no-deps: torch, numpy, scipy, scikit-learn are never
# installed or upgraded here. numba 0.68.1 supports numpy >=1.22,<2.6 and needs
# llvmlite >=0.50,<0.51.
#
# sdv 2.0.0 requires boto3, botocore, cloudpickle, graphviz, numpy, pandas<3, tqdm, copulas, ctgan,
# deepecho, rdt, sdmetrics, platformdirs, pyyaml (and, through them, torch, scipy, scikit-learn,
# plotly, Faker, ...). The versions below are what pip resolves for sdv==2.0.0 on Python 3.11,
# less what .venv has (cloudpickle, numpy, tqdm, torch, scipy, scikit-learn, python-dateutil,
# tzdata, narwhals, packaging). pandas is NOT installed: sdv declares pandas<3, and .venv's
# pandas 3 comes first on the path anyway; GaussianCopula and TVAE fit and sample with it (checked
# by the import test below and by benchmarks/tables.py). Running it again does nothing once the
# pinned versions are there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
TARGET="$ROOT/benchmarks/.peers"
PACKAGES=(
    pyod==3.6.7 numba==0.68.1 llvmlite==0.50.0
    sdv==2.0.0 boto3==1.44.18 botocore==1.44.18 copulas==0.14.1 ctgan==0.12.1 deepecho==0.8.1
    graphviz==0.21 platformdirs==4.14.9 PyYAML==6.0.4 rdt==2.0.0 sdmetrics==0.32.0 Faker==40.63.0
    jmespath==1.1.0 plotly==7.1.0 pytz==2026.6 s3transfer==0.19.3 urllib3==2.8.0 six==1.17.0
)

if [[ ! -x "$PY" ]]; then
    echo "error: $PY not found (create the project's .venv first)" >&2
    exit 1
fi

installed() {  # exit 0 when every pinned package is in $TARGET at its pinned version
    "$PY" - "$TARGET" "${PACKAGES[@]}" <<'EOF'
import sys
from importlib.metadata import PathDistribution
from pathlib import Path

target = Path(sys.argv[1])
found = {}
for info in target.glob("*.dist-info"):
    meta = PathDistribution(info).metadata
    found[meta["Name"].lower().replace("_", "-")] = meta["Version"]
for spec in sys.argv[2:]:
    name, version = spec.split("==")
    if found.get(name.lower()) != version:
        sys.exit(1)
EOF
}

if [[ -d "$TARGET" ]] && installed; then
    echo "peers already installed in $TARGET: ${PACKAGES[*]}"
else
    # --upgrade replaces older copies inside the target folder only.
    "$PY" -m pip install --quiet --no-deps --upgrade --target "$TARGET" "${PACKAGES[@]}"
    echo "installed into $TARGET: ${PACKAGES[*]}"
fi

# Check that PyOD and SDV import with .venv's own torch/numpy/pandas/scipy/scikit-learn first on the path
# (the target folder last, as the benchmark puts it).
"$PY" - "$TARGET" <<'EOF'
import sys

sys.path.append(sys.argv[1])
import numba
import numpy
import pyod
import sklearn
import torch
from pyod.models.auto_encoder import AutoEncoder  # noqa: F401  (needs torch)
from pyod.models.ecod import ECOD  # noqa: F401  (needs numba)
import pandas
import sdv
from sdv.single_table import GaussianCopulaSynthesizer, TVAESynthesizer  # noqa: F401

print(f"ok: pyod {pyod.__version__}, sdv {sdv.__version__}, numba {numba.__version__}, torch {torch.__version__}, "
      f"numpy {numpy.__version__}, pandas {pandas.__version__}, scikit-learn {sklearn.__version__}")
EOF
