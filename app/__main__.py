"""`python -m app COMMAND`: the app's CLI as used by setup.sh: init-db,
db-url, db-stop, and Flask's own commands (routes, shell, run). A database
that cannot start is explained in one paragraph instead of a traceback."""
import getpass
import socket
import sys
import textwrap

import click
from flask.cli import FlaskGroup, with_appcontext

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


@click.command("worker")
@click.option("--concurrency", default=2, show_default=True, help="Jobs run at the same time.")
@with_appcontext
def worker_command(concurrency: int) -> None:
    """Run the background worker (email copies of notices, periodic jobs)."""
    # Imported here, not by create_app: procrastinate and psycopg 3 add 14 MB
    # to a process, and web workers never run jobs.
    from .jobs import worker_command as run_worker

    click.get_current_context().invoke(run_worker, concurrency=concurrency)


# Commands of the group itself (db-stop) run without building the app, so
# stopping never starts the server first.
cli = FlaskGroup(create_app=load_app, help=__doc__)
cli.add_command(db_stop_command)
cli.add_command(worker_command)


@cli.command("make-operator")
@click.argument("email")
@click.option("--revoke", is_flag=True, help="Take the role away instead.")
def make_operator_command(email: str, revoke: bool) -> None:
    """Make the account with EMAIL an operator (the first one comes from here;
    operators then grant the role in the console). Recorded in the audit log."""
    from .models import moderation
    from .models.audit import Actor

    user = moderation.user_by_email(email)
    if user is None:
        raise click.ClickException(f"There is no account with the email {email}.")
    who = Actor(None, f"command line ({getpass.getuser()}@{socket.gethostname()})")
    changed = moderation.set_operator(who, user["id"], not revoke, "from the command line")
    state = "no longer an operator" if revoke else "an operator"
    click.echo(f"{user['email']} is {'now ' if changed else 'already '}{state}.")


def main() -> None:
    cli(prog_name="python -m app")


if __name__ == "__main__":
    main()
