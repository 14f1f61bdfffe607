"""Alembic environment: the models' metadata, and the URL from app.db.migrate() or DATABASE_URL."""

from __future__ import annotations

from logging.config import fileConfig

from sqlalchemy import Connection
from sqlmodel import SQLModel

import app.jgrants.models  # noqa: F401  (registers the jGrants sync tables)
import app.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from alembic import context
from app.config import Settings
from app.db import make_engine

config = context.config

# Only the command line reads alembic.ini; app.db.migrate() builds its config in code and leaves the
# app's logging alone.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = SQLModel.metadata


def database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or Settings().database_url


def run_migrations_offline() -> None:
    url = database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # given by app.db.migrate() / app.db.check()
        _run(connection)
        return
    engine = make_engine(database_url())
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
