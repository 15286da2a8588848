#!/bin/sh
# Make headless Chromium available for the report's browser test (Debian package `chromium`).
# Installs it with apt-get when we are root and it is missing; otherwise says what to do. The browser test
# skips with this reason when Chromium is absent, except under CI (CI=true), where it fails.
set -u
for b in chromium chromium-browser google-chrome; do
  if command -v "$b" >/dev/null 2>&1; then exit 0; fi
done
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the report test (apt-get)…"
  if apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; then
    exit 0
  fi
  echo "warning: apt-get could not install chromium" >&2
else
  echo "note: headless Chromium not found; install Debian's 'chromium' package to run the report's browser test" >&2
fi
exit 0
