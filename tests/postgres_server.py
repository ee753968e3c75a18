"""A real PostgreSQL for the tests: a throwaway cluster on 127.0.0.1, started and stopped by the
session (`.ci/run` installs the server if the machine lacks it). Each test gets a database of
its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.ports import free_port


class PostgresMissing(RuntimeError):
    """The machine has no PostgreSQL server programs."""


def _binary(name: str) -> str | None:
    """On PATH, or where Debian's packages put it."""
    packaged = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return shutil.which(name) or (str(packaged[-1]) if packaged else None)


@contextmanager
def running_postgres(*, fsync: bool = False, max_connections: int = 50) -> Iterator[str]:
    """A throwaway cluster on 127.0.0.1 for as long as the block runs; its URL, without a database
    name. None of the programs: `PostgresMissing`. (`fsync`: off for the tests; on for the benches.)"""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if not (initdb and pg_ctl):
        raise PostgresMissing("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
    # The server refuses to run as root: run it as the packaged `postgres` user then, in a folder
    # of its own outside pytest's (which only root may enter).
    root = Path(tempfile.mkdtemp(prefix="sdr-postgres-"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(root, "postgres")
    data, port = root / "data", free_port()
    initialise = [*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "postgres"]
    subprocess.run(initialise, check=True, capture_output=True, timeout=120)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync={'on' if fsync else 'off'}"
    options += f" -c max_connections={max_connections}"
    subprocess.run(
        [*as_user, pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "-t", "60", "start"],
        check=True,
        capture_output=True,
        timeout=90,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def new_database(server: str) -> str:
    """A fresh, empty database on a running server; its URL."""
    import psycopg

    name = f"sdr_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """The server's URL, without a database name."""
    pytest.importorskip("psycopg", reason="the PostgreSQL tests need psycopg (pip install -e '.[dev]')")
    try:
        with running_postgres() as url:
            yield url
    except PostgresMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture
def postgres_url(postgres: str) -> str:
    """A fresh, empty database on the test server."""
    return new_database(postgres)
