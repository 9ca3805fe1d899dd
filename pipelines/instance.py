"""Is the configured Dagster instance usable? One sentence when it is not.

Dagster answers a wrong PostgreSQL host, port or password by retrying (about 13 s for
a refused connection, a minute for a host that does not answer) and then printing a
long traceback, from whichever process first touched the instance (the webserver, the
daemon, a run). ``aai instance`` and ``aai run`` ask first, with a short timeout, and
say in one line what is wrong and which variable to look at. The production instance
reads its connection from ``DAGSTER_PG_*`` variables (``dagster-instance.postgres.yaml``,
docs/operations.md); the message names whatever variables the file names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

CONNECT_TIMEOUT_SECONDS = 5
# the connection fields of dagster-postgres's postgres_db
PG_FIELDS = ("hostname", "port", "username", "password", "db_name")


class InstanceProblem(Exception):
    """The instance cannot be used; the message is one line saying what to fix."""


@dataclass(frozen=True)
class PostgresTarget:
    """Where the instance's PostgreSQL storage is, as the configuration resolves."""

    host: str
    port: int
    user: str
    password: str
    db_name: str
    names: dict[str, str]  # field → what sets it, to name in a message (a variable, or the file)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def read_config(home: Path) -> dict:
    """``$DAGSTER_HOME/dagster.yaml`` as a mapping; empty (Dagster's SQLite defaults) when absent."""
    path = home / "dagster.yaml"
    if not path.is_file():
        return {}
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise InstanceProblem(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(config, dict):
        raise InstanceProblem(f"{path} must be a mapping of instance settings")
    return config


def postgres_target(config: dict) -> PostgresTarget | None:
    """The PostgreSQL connection of ``storage: postgres`` (``postgres_db`` fields or a
    ``postgres_url``), or None for an instance that keeps its storage elsewhere."""
    postgres = (config.get("storage") or {}).get("postgres")
    if postgres is None:
        return None
    if "postgres_url" in postgres:
        url = postgres["postgres_url"]
        return _from_url(_resolve("url", url) or "", _source("postgres_url", url))
    fields = postgres.get("postgres_db")
    if not isinstance(fields, dict):
        raise InstanceProblem("dagster.yaml: storage.postgres needs postgres_db (hostname, port, username, "
                              "password, db_name), as in dagster-instance.postgres.yaml")
    values = {name: _resolve(name, fields.get(name)) for name in PG_FIELDS}
    names = {name: _source(name, fields.get(name)) for name in PG_FIELDS}
    port = values["port"] or "5432"
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise InstanceProblem(f"{names['port']} must be a port number, got {port!r}")
    for name in ("hostname", "username", "db_name"):
        if not values[name]:
            raise InstanceProblem(f"{names[name]} is empty: it names the PostgreSQL {name}")
    return PostgresTarget(host=values["hostname"], port=int(port), user=values["username"],
                          password=values["password"] or "", db_name=values["db_name"], names=names)


def _from_url(url: str, source: str) -> PostgresTarget:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InstanceProblem(f"{source} is not a URL such as "
                              "postgresql+psycopg2://user:password@host:5432/dagster") from None
    if not parsed.host or not parsed.username or not parsed.database:
        raise InstanceProblem(f"{source} needs a user, a host and a database")
    return PostgresTarget(host=parsed.host, port=parsed.port or 5432, user=parsed.username,
                          password=parsed.password or "", db_name=parsed.database,
                          names=dict.fromkeys(PG_FIELDS, source))


def _resolve(name: str, value: object) -> str | None:
    """A config value as Dagster reads it: a literal, or ``{env: VARIABLE}``."""
    if isinstance(value, dict) and set(value) == {"env"}:
        variable = str(value["env"])
        if variable not in os.environ:
            raise InstanceProblem(f"{variable} is not set; the instance reads the PostgreSQL {name} from it "
                                  "(docs/operations.md)")
        return os.environ[variable].strip()
    return None if value is None else str(value).strip()


def _source(name: str, value: object) -> str:
    """How to name a field to the user: its variable when it comes from one."""
    if isinstance(value, dict) and "env" in value:
        return str(value["env"])
    return f"dagster.yaml {name}"


def check_postgres(target: PostgresTarget) -> None:
    """Connect once with a short timeout; raise InstanceProblem with one line naming the
    variables to check. The password never appears in the message."""
    import psycopg2

    try:
        psycopg2.connect(host=target.host, port=target.port, user=target.user, password=target.password,
                         dbname=target.db_name, connect_timeout=CONNECT_TIMEOUT_SECONDS).close()
    except psycopg2.OperationalError as exc:
        reason = _reason(str(exc))
        lowered = reason.lower()
        names = target.names
        if "password" in lowered or "authentication" in lowered or "role" in lowered:
            hint = f"check {_and(names['username'], names['password'])}"
        elif "database" in lowered and "does not exist" in lowered:
            hint = f"check {names['db_name']}, or create the database"
        else:
            hint = f"check {_and(names['hostname'], names['port'])}, and that the server is running"
        raise InstanceProblem(f"PostgreSQL at {target.where} is not reachable: {reason} — {hint}") from None


def _and(first: str, second: str) -> str:
    return first if first == second else f"{first} and {second}"


def _reason(message: str) -> str:
    """libpq's first line, without the 'connection to server … failed:' and 'FATAL:' lead-ins."""
    first = message.strip().splitlines()[0] if message.strip() else "no answer"
    if " failed: " in first:
        first = first.split(" failed: ", 1)[1]
    first = first.removeprefix("FATAL:").strip()
    return first[:1].lower() + first[1:]


def check_home(home: Path) -> str:
    """Check the instance under ``home`` before Dagster opens it; returns what it is, in
    a few words (``postgresql at host:port/db`` or ``sqlite in <home>``)."""
    target = postgres_target(read_config(home))
    if target is None:
        return f"sqlite in {home}"
    check_postgres(target)
    return f"postgresql at {target.where}/{target.db_name}"


def describe(home: Path) -> str:
    """The whole check of ``aai instance``: the storage is reachable, Dagster opens the
    instance (creating its tables on first use), and what it is set to do. One line."""
    import dagster as dg

    storage = check_home(home)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            runs = instance.get_runs_count()
            retries = instance.run_retries_max_retries if instance.run_retries_enabled else 0
            pool_limit = instance.get_concurrency_config().pool_config.default_pool_limit
    except Exception as exc:  # noqa: BLE001 - the command's promise is one line, not a traceback
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        raise InstanceProblem(f"Dagster could not open the instance in {home}: {lines[0]}") from None
    pools = f"{pool_limit} slot(s) per pool (warehouse)" if pool_limit else "pools unlimited"
    return f"instance ready: {storage}, {runs} runs kept, {retries} run retries, {pools}"
