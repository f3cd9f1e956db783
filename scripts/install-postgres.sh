#!/usr/bin/env bash
# Install Debian's PostgreSQL server binaries for the job-store tests (tests/pgcluster.py starts a
# throw-away cluster from them on 127.0.0.1; no system service is used).
# Idempotent: does nothing when initdb is present. Never fails the build: where an install is
# impossible (not root, no apt-get) it says why and exits 0, and the PostgreSQL tests skip.
set -uo pipefail

found="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1)"
if [ -z "$found" ] && command -v initdb >/dev/null 2>&1; then
  found="$(command -v initdb)"
fi
if [ -n "$found" ]; then
  echo "install-postgres: $found already present; nothing to do"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-postgres: needs root to run apt-get (try: sudo $0); the PostgreSQL tests will be skipped"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-postgres: no apt-get on this system; the PostgreSQL tests will be skipped"
  exit 0
fi
echo "install-postgres: installing Debian postgresql with apt-get"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update && apt-get install -y --no-install-recommends postgresql; }; then
  echo "install-postgres: apt-get failed; the PostgreSQL tests will be skipped"
  exit 0
fi
echo "install-postgres: installed $(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n 1)"
