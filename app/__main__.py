"""`python -m app COMMAND`: the app's CLI as used by setup.sh: init-db,
db-url, db-stop, and Flask's own commands (routes, shell, run). A database
that cannot start is explained in one paragraph instead of a traceback."""
import sys
import textwrap

import click
from flask.cli import FlaskGroup

from . import create_app, embedded
from .config import INSTANCE_PATH
from .embedded import EmbeddedServerError


def load_app():
    try:
        return create_app()
    except EmbeddedServerError as exc:
        print(textwrap.fill(str(exc), width=88), file=sys.stderr)
        sys.exit(1)


@click.command("db-stop")
def db_stop_command() -> None:
    """Stop the embedded PostgreSQL server under instance/ (it outlives the app)."""
    click.echo(embedded.stop(INSTANCE_PATH))


# Commands of the group itself (db-stop) run without building the app, so
# stopping never starts the server first.
cli = FlaskGroup(create_app=load_app, help=__doc__)
cli.add_command(db_stop_command)


def main() -> None:
    cli(prog_name="python -m app")


if __name__ == "__main__":
    main()
