"""The local cluster demo: Souk as it runs on several machines, all on 127.0.0.1.

    ./setup.sh cluster         # start (or start again) everything below
    ./setup.sh cluster-stop    # stop it all; the data stays in instance/cluster

    HAProxy :8080 (round robin, health check /readyz)
      -> app node 1 :5101, app node 2 :5102   (gunicorn, 2 workers each)
           writes and the primary's reads -> PgBouncer :6432 (transaction pooling) -> primary :5441
           reads of read-only pages       -> streaming standby :5442 (read-your-writes, app/db.py)
      -> one job worker (LISTEN/NOTIFY: straight to the primary, SOUK_QUEUE_DATABASE_URL)

Nodes keep nothing another node needs: sessions, rate-limit counters
(SOUK_RATELIMIT_STORAGE_URL=database), the job queue and photos are in
PostgreSQL; both share SECRET_KEY. The primary and standby are the
embedded server's binaries (app/replication.py), at wal_level=replica.
"""
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from . import db, pgbouncer
from .config import INSTANCE_PATH, _secret_key
from .replication import Pair

ROOT = INSTANCE_PATH.parent
BASE = INSTANCE_PATH / "cluster"
PRIMARY_PORT, STANDBY_PORT, BOUNCER_PORT, BALANCER_PORT = 5441, 5442, 6432, 8080
NODE_PORTS = (5101, 5102)
DATABASE = "souk"
HAPROXY = "/usr/sbin/haproxy"


def _pair() -> Pair:
    return Pair(BASE / "pg", primary_port=PRIMARY_PORT, standby_port=STANDBY_PORT)


def _bouncer() -> pgbouncer.Bouncer:
    return pgbouncer.Bouncer(BASE / "pgbouncer", _pair().primary.dsn(), port=BOUNCER_PORT, pool_size=20)


def node_environment(pair: Pair) -> dict:
    return {**os.environ,
            "DATABASE_URL": _bouncer().dsn(DATABASE),
            "DATABASE_REPLICA_URL": pair.standby.dsn(DATABASE),
            "SOUK_QUEUE_DATABASE_URL": pair.primary.dsn(DATABASE),
            "SOUK_RATELIMIT_STORAGE_URL": "database",
            "SECRET_KEY": _secret_key(INSTANCE_PATH),
            "SOUK_TRUSTED_PROXIES": "1",
            "SOUK_DB_POOL_MAX": "8"}


def _say(text: str) -> None:
    print(f"==> {text}", flush=True)


def _haproxy_config() -> str:
    servers = "\n".join(f"    server node{n} 127.0.0.1:{port} check inter 2s fall 2 rise 1"
                        for n, port in enumerate(NODE_PORTS, 1))
    return f"""global
    maxconn 2000
    pidfile {BASE / 'haproxy.pid'}
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    option forwardfor
frontend souk
    bind 127.0.0.1:{BALANCER_PORT}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /readyz
{servers}
"""


def _alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return None


def _wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"cluster: {url} did not answer in {seconds:.0f} s (see {BASE})") from exc
        time.sleep(0.3)


def start() -> None:
    BASE.mkdir(parents=True, exist_ok=True)
    if not pgbouncer.available() or not os.access(HAPROXY, os.X_OK):
        raise SystemExit("cluster: needs Debian's pgbouncer and haproxy (apt-get install pgbouncer haproxy)")
    pair = _pair()
    if pair.exists():
        _say(f"Primary :{PRIMARY_PORT} and standby :{STANDBY_PORT} (instance/cluster/pg)")
        pair.start()
    else:
        _say(f"Creating a primary :{PRIMARY_PORT} and a streaming standby :{STANDBY_PORT} "
             "(initdb, pg_basebackup -R)")
        pair.create()
    if pair.primary.sql("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)) is None:
        pair.primary.sql(f"CREATE DATABASE {DATABASE}")
    dsn = pair.primary.dsn(DATABASE)
    db.migrate(dsn)
    from db.generated import load_demo_if_empty

    _say(load_demo_if_empty(dsn))
    bouncer = _bouncer()
    if _alive(bouncer.workdir / "pgbouncer.pid") is None:
        _say(f"PgBouncer :{BOUNCER_PORT} (transaction pooling) in front of the primary")
        bouncer.start()
    env = node_environment(pair)
    python = ROOT / ".venv" / "bin" / "python"
    for n, port in enumerate(NODE_PORTS, 1):
        pid_file = BASE / f"node{n}.pid"
        if _alive(pid_file):
            continue
        _say(f"App node {n}: gunicorn on 127.0.0.1:{port}")
        metrics_dir = BASE / f"node{n}-metrics"
        metrics_dir.mkdir(exist_ok=True)
        for stale in metrics_dir.iterdir():
            stale.unlink()
        subprocess.run([str(python.parent / "gunicorn"), "--config", "gunicorn.conf.py", "--workers", "2",
                        "--bind", f"127.0.0.1:{port}", "--daemon", "--pid", str(pid_file),
                        "--error-logfile", str(BASE / f"node{n}.log"), "app:create_app()"],
                       cwd=ROOT, env={**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}, check=True)
    if not _alive(BASE / "worker.pid"):
        _say("Job worker (LISTEN/NOTIFY straight to the primary)")
        with open(BASE / "worker.log", "a") as log:
            worker = subprocess.Popen([str(python), "-m", "app", "worker"], cwd=ROOT, env=env, stdout=log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        (BASE / "worker.pid").write_text(str(worker.pid))
    for port in NODE_PORTS:
        _wait_http(f"http://127.0.0.1:{port}/readyz")
    if not _alive(BASE / "haproxy.pid"):
        _say(f"HAProxy :{BALANCER_PORT} (round robin over both nodes)")
        (BASE / "haproxy.cfg").write_text(_haproxy_config())
        subprocess.run([HAPROXY, "-D", "-f", str(BASE / "haproxy.cfg")], check=True)
    _wait_http(f"http://127.0.0.1:{BALANCER_PORT}/readyz")
    print(f"""
Souk runs on http://127.0.0.1:{BALANCER_PORT}/ (log in as alice@example.com, password souk-demo).
  primary   {pair.primary.dsn(DATABASE)}
  standby   {pair.standby.dsn(DATABASE)}
  pgbouncer {bouncer.dsn(DATABASE)}
  nodes     {', '.join(f'http://127.0.0.1:{p}' for p in NODE_PORTS)} (logs in instance/cluster)
Stop it all with ./setup.sh cluster-stop.""")


def stop() -> None:
    for name in ("haproxy", "node1", "node2", "worker"):
        pid = _alive(BASE / f"{name}.pid")
        if pid:
            _say(f"Stopping {name}")
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                if _alive(BASE / f"{name}.pid") is None:
                    break
                time.sleep(0.1)
        (BASE / f"{name}.pid").unlink(missing_ok=True)
    _say("Stopping PgBouncer, the standby and the primary")
    _bouncer().stop()
    pair = _pair()
    if pair.primary.pgdata.exists():
        pair.stop()
    print(f"The cluster is stopped; its data stays in {BASE} (delete it to start afresh).")


if __name__ == "__main__":
    {"start": start, "stop": stop}[sys.argv[1] if len(sys.argv) > 1 else "start"]()
