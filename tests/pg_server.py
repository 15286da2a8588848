"""A throwaway PostgreSQL server for the store tests (Debian's `postgresql`; `make test` installs it when it can).

Started with initdb + pg_ctl in a temporary data directory on a free port of 127.0.0.1, as an unprivileged user when
the tests run as root (PostgreSQL refuses to run as root): ``nobody``. Stopped (``pg_ctl stop -m immediate``) and
removed at the end. Trust authentication on loopback only: the server lives for the test session.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: the unprivileged user the server runs as when the tests run as root
PG_USER = "nobody"
#: seconds pg_ctl waits for the server to start or stop
PG_TIMEOUT = 60


def pg_bin() -> Path | None:
    """The newest PostgreSQL bin directory holding initdb and pg_ctl, or ``None``."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    return Path(pg_ctl).parent if initdb and pg_ctl else None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_user() -> None:
    """Create :data:`PG_USER` (a system user without a login shell) when running as root and it is missing."""
    import pwd

    try:
        pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
                       check=True, capture_output=True, timeout=30)


def _as_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", PG_USER, "--", *cmd]


@contextmanager
def postgres_server(bin_dir: Path) -> Iterator[str]:
    """Run a PostgreSQL server; yields its SQLAlchemy URL (database ``postgres``, user ``postgres``)."""
    root = Path(tempfile.mkdtemp(prefix="tradetalks-pg-"))
    data = root / "data"
    data.mkdir()
    if os.geteuid() == 0:
        ensure_user()
        shutil.chown(root, PG_USER)
        shutil.chown(data, PG_USER)
    port = free_port()
    run = {"cwd": root, "capture_output": True, "text": True, "timeout": PG_TIMEOUT, "check": True}
    try:
        subprocess.run(_as_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                                 "--no-sync", "-E", "UTF8"]), **run)  # type: ignore[call-overload]
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(_as_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"),
                                 "-w", "-t", str(PG_TIMEOUT), "start"]), **run)  # type: ignore[call-overload]
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       cwd=root, capture_output=True, timeout=PG_TIMEOUT, check=False)
        shutil.rmtree(root, ignore_errors=True)
