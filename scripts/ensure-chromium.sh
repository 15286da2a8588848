#!/bin/sh
# Make headless Chromium available for the report's browser test (Debian package `chromium`).
# Installs it with apt-get when we are root and it is missing; otherwise says what to do. Exits 0 only when
# Chromium is there at the end, 1 otherwise. `make test` goes on without it outside CI (the browser test then
# skips with this reason); under CI (CI=true) the missing browser stops the run.
set -u
have_chromium() {
  for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then return 0; fi
  done
  return 1
}
if have_chromium; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the report test (apt-get)…"
  if apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
      && have_chromium; then
    exit 0
  fi
  echo "error: apt-get could not install chromium" >&2
else
  echo "error: headless Chromium not found; install Debian's 'chromium' package to run the report's browser test" >&2
fi
exit 1
