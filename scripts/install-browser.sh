#!/usr/bin/env bash
# Install Debian's Chromium for the Playwright browser tests (tests/test_browser.py).
# Idempotent: does nothing when /usr/bin/chromium exists. Needs root (apt-get).
# Playwright's own browser download (`playwright install`) is not used.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  echo "install-browser: /usr/bin/chromium already present ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown')); nothing to do"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-browser: needs root to run apt-get (try: sudo $0)" >&2
  exit 1
fi
echo "install-browser: installing Debian chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
echo "install-browser: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
