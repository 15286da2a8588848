#!/bin/sh
# Make a PostgreSQL server available for the store tests (Debian package `postgresql`; the tests start and stop their
# own server in a temporary directory, as an unprivileged user). Installs it with apt-get when we are root and it is
# missing; otherwise says what to do. Exits 0 only when initdb and pg_ctl are there at the end, 1 otherwise.
# `make test` goes on without it outside CI (the PostgreSQL tests then skip with this reason); under CI (CI=true)
# the missing server stops the run.
set -u
have_postgresql() {
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then return 0; fi
  done
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1
}
if have_postgresql; then exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's postgresql for the store tests (apt-get)…"
  if apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
      && have_postgresql; then
    exit 0
  fi
  echo "error: apt-get could not install postgresql" >&2
else
  echo "error: PostgreSQL (initdb, pg_ctl) not found; install Debian's 'postgresql' package to run the store tests" >&2
fi
exit 1
