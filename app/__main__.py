"""`python -m app COMMAND`: the app's CLI (init-db, db-url, ...) as used by
setup.sh. A database that cannot start is explained in one paragraph
instead of a traceback."""
import sys
import textwrap

from flask.cli import FlaskGroup

from . import create_app
from .embedded import EmbeddedServerError


def main() -> None:
    try:
        app = create_app()
    except EmbeddedServerError as exc:
        print(textwrap.fill(str(exc), width=88), file=sys.stderr)
        sys.exit(1)
    FlaskGroup(create_app=lambda: app, add_default_commands=False)(prog_name="python -m app")


if __name__ == "__main__":
    main()
