"""Schema migrations with Alembic, configured in code so `tokbridge migrate` works from any folder."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "tokbridge:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ConfigParser interpolation
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, command.downgrade, revision)


def _run(engine: Engine, step, revision: str) -> None:
    """Run an Alembic command in one transaction.

    On SQLite, batch mode rebuilds a table by copying it and dropping the original; with foreign keys
    enforced, that DROP deletes the rows of every table referencing it ON DELETE CASCADE (SQLite runs an
    implicit DELETE first). So foreign keys are off while migrating (the pragma only takes effect outside
    a transaction) and checked once at the end: a migration leaving a dangling reference fails."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # on the DBAPI connection: SQLAlchemy's autobegin would issue BEGIN first
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config, revision)
                if sqlite:
                    dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if dangling:
                        raise RuntimeError(f"the migration left rows referencing missing rows: {dangling[:5]}")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
