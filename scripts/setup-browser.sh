#!/usr/bin/env bash
# Install a headless Chromium for the browser test (test/report-browser.test.ts) when missing.
# Debian's chromium-headless-shell is preferred (small, no X); chromium is the fallback.
# Idempotent: does nothing when a browser is already on PATH or at a known location.
set -euo pipefail

find_browser() {
  for b in chromium-headless-shell chrome-headless-shell chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
  done
  for p in /usr/lib/chromium/chromium-headless-shell /usr/lib/chromium/headless_shell /usr/lib/chromium/chromium; do
    if [ -x "$p" ]; then echo "$p"; return 0; fi
  done
  return 1
}

if b=$(find_browser); then
  echo "setup-browser: found $b"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: no browser found and no apt-get; install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
if ! $SUDO apt-get install -y --no-install-recommends chromium-headless-shell; then
  $SUDO apt-get install -y --no-install-recommends chromium
fi

b=$(find_browser) || { echo "setup-browser: install finished but no browser found" >&2; exit 1; }
echo "setup-browser: installed $b"
