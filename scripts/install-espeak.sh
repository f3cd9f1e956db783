#!/usr/bin/env bash
# Install espeak-ng, the offline text-to-speech program reel voice-overs call (`voice: espeak`).
# Debian/Ubuntu apt-get as root; elsewhere install it yourself, or use voiceover_file / Polly.
# Tests that need it are skipped with a reason when it is absent.
set -euo pipefail

if command -v espeak-ng >/dev/null 2>&1; then
  echo "install-espeak: $(command -v espeak-ng) already present; nothing to do"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-espeak: needs root and apt-get (try: sudo $0)" >&2
  exit 1
fi
echo "install-espeak: installing Debian espeak-ng with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends espeak-ng
echo "install-espeak: installed $(espeak-ng --version 2>/dev/null || echo espeak-ng)"
