#!/usr/bin/env bash
# Lint, type-check and run the whole test suite (what CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1
paths=(src tests benchmarks scripts)
echo "== ruff"
.venv/bin/ruff check "${paths[@]}"
.venv/bin/ruff format --check "${paths[@]}"
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
# Ray's background threads stay in the process that used it, so its tests run in their own
# process after the rest; coverage adds up over both runs.
.venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadgroup -m "not ray" --cov=reelrag \
  --cov-report= "$@"
status=0
.venv/bin/python -m pytest -m ray --cov=reelrag --cov-append --cov-report=term:skip-covered "$@" \
  || status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 5 ]  # 5: no Ray test among the selected ones
