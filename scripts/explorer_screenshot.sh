#!/usr/bin/env bash
# Makes docs/explorer.png, the README's picture of the explorer: trains a VAE on the
# Frey faces from ../shared/datasets, writes its explorer page, and has headless
# Debian Chromium screenshot it. Run after scripts/setup.sh; needs `chromium`.
set -euo pipefail
cd "$(dirname "$0")/.."
data_dir=${VAEKIT_DATA:-../shared/datasets}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
.venv/bin/vaekit train frey-faces --data-dir "$data_dir" --out "$out/run" --seed 0 --quiet
mkdir -p docs
chromium --headless --no-sandbox --hide-scrollbars --window-size=1280,860 \
    --screenshot=docs/explorer.png "file://$out/run/explore.html" 2>/dev/null
echo "wrote docs/explorer.png"
