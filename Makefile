# The two commands a new machine needs (see README):
#   make demo   set up .venv and run the offline end-to-end job on the sample photos
#   make test   set up .venv with the dev tools and run lint, types and the test suite
.PHONY: demo test lint setup clidocs

demo:
	@scripts/setup.sh samples
	@scripts/install-espeak.sh || echo "demo: no espeak-ng; the demo reel will have no voice-over"
	HF_HUB_OFFLINE=1 .venv/bin/reelrag --workspace demo-workspace demo

test:
	@scripts/setup.sh dev
	@scripts/install-browser.sh || echo "test: no Chromium; the browser tests will be skipped"
	@scripts/install-postgres.sh || echo "test: no PostgreSQL; the PostgreSQL job-store tests will be skipped"
	@scripts/install-espeak.sh || echo "test: no espeak-ng; the text-to-speech tests will be skipped"
	@scripts/test.sh

lint:
	.venv/bin/ruff check src tests benchmarks
	.venv/bin/ruff format --check src tests benchmarks
	.venv/bin/mypy

clidocs:
	.venv/bin/python scripts/clidocs.py > docs/cli.md
