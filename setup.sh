#!/usr/bin/env bash
# Souk's two commands:
#   ./setup.sh [serve] [--prod] [--host H] [--port P] [--no-worker]
#                                                       set up, then serve the app and its worker
#   ./setup.sh test [pytest args]                       set up, lint, then run the test suite
#                                                       (twice: directly, then through PgBouncer)
#   ./setup.sh cluster | cluster-stop                   the local cluster demo (primary, standby,
#                                                       PgBouncer, two app nodes, HAProxy)
#   ./setup.sh stop                                     stop the embedded PostgreSQL
# Set-up: .venv with requirements.txt, the database (embedded PostgreSQL under
# instance/ unless DATABASE_URL is set), the schema, demo data if empty.
set -euo pipefail
cd "$(dirname "$0")"

if [[ $# -gt 0 && "$1" == "stop" ]]; then
  # The embedded server outlives the app; this is how to end it.
  if [[ ! -x .venv/bin/python ]]; then echo "setup.sh: nothing to stop (not set up yet)."; exit 0; fi
  shift; exec .venv/bin/python -m app db-stop "$@"
fi

if [[ $# -gt 0 && "$1" == "cluster-stop" ]]; then
  if [[ ! -x .venv/bin/python ]]; then echo "setup.sh: nothing to stop (not set up yet)."; exit 0; fi
  exec .venv/bin/python -m app.cluster stop
fi

command="serve"; prod=0; worker=1; host="127.0.0.1"; port="5000"; test_args=()
if [[ $# -gt 0 && ( "$1" == "test" || "$1" == "serve" || "$1" == "cluster" ) ]]; then command="$1"; shift; fi
if [[ "$command" == "test" ]]; then
  test_args=("$@")
else
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --prod) prod=1 ;;
      --no-worker) worker=0 ;;
      --host) host="${2:?--host needs a value}"; shift ;;
      --port) port="${2:?--port needs a value}"; shift ;;
      -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
      *) echo "setup.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
  done
fi

python_bin=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    python_bin="$candidate"; break
  fi
done
if [[ -z "$python_bin" ]]; then
  echo "setup.sh: Souk needs Python 3.11 (python3.11 or python3 on PATH)." >&2; exit 1
fi

# 1. Virtual environment, reinstalled only when requirements.txt changes.
if [[ ! -x .venv/bin/python ]]; then
  echo "==> Creating .venv"
  "$python_bin" -m venv .venv
fi
stamp=".venv/.requirements.sha256"
want="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "==> Installing requirements"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi

# The local cluster demo (app/cluster.py): its own primary and standby, not
# the embedded server.
if [[ "$command" == "cluster" ]]; then
  exec .venv/bin/python -m app.cluster start
fi

# 2. In CI the browser tests must run, and the suite runs a second time
#    through PgBouncer, so Debian's Chromium and PgBouncer are installed.
pgbouncer_bin="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
if [[ "$command" == "test" && "${CI:-}" == "true" ]]; then
  missing=()
  [[ -x /usr/bin/chromium ]] || missing+=(chromium)
  [[ -x "$pgbouncer_bin" ]] || missing+=(pgbouncer)
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "==> Installing ${missing[*]} for the browser tests and the pass through PgBouncer"
    if [[ $(id -u) -eq 0 ]]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    pgbouncer_bin="$(command -v pgbouncer || echo /usr/sbin/pgbouncer)"
  fi
fi

# 3. Tests hold the style as they hold behaviour: any ruff finding stops
#    here, before the database starts (config in ruff.toml).
if [[ "$command" == "test" ]]; then
  echo "==> Lint (ruff check)"
  .venv/bin/ruff check --quiet .
fi

# 4. Database: start it, create or upgrade the schema, demo data when empty.
echo "==> Database"
.venv/bin/python -m app init-db

# 5. Serve or test.
if [[ "$command" == "test" ]]; then
  echo "==> Tests"
  # Each checkout keeps pytest's temporary folders to itself: suites run side
  # by side would otherwise prune each other's (pytest keeps the last three).
  export PYTEST_DEBUG_TEMPROOT="$PWD/instance/tmp"
  mkdir -p "$PYTEST_DEBUG_TEMPROOT"
  .venv/bin/python -m pytest "${test_args[@]}"
  # The same suite through PgBouncer in transaction pooling mode (the app
  # keeps no session state; see app/pgbouncer.py). The browser tests are
  # left out of this pass: they add minutes and test no SQL of their own.
  # It runs in CI only, so that a change is tested once while it is made.
  if [[ "${SOUK_TEST_PGBOUNCER:-}" == "0" ]]; then
    echo "==> The pass through PgBouncer is off (SOUK_TEST_PGBOUNCER=0)"
  elif [[ "${CI:-}" != "true" ]]; then
    echo "==> The pass through PgBouncer runs in CI (CI=true ./setup.sh test runs it here)"
  elif [[ -x "$pgbouncer_bin" ]]; then
    echo "==> Tests again, through PgBouncer (transaction pooling; browser tests skipped)"
    SOUK_TEST_PGBOUNCER=1 exec .venv/bin/python -m pytest -m "not browser" "${test_args[@]}"
  else
    echo "==> PgBouncer is not installed: the pass through it is skipped (CI installs Debian's pgbouncer)"
  fi
  exit 0
fi
# The background worker (email copies of notices, periodic jobs) runs beside
# the app and stops with it. Both run in the background so that Ctrl+C or a
# TERM sent to this script reaches the traps below at once.
children=()
stop_children() {
  [[ ${#children[@]} -gt 0 ]] || return 0
  kill "${children[@]}" 2>/dev/null || true
  wait "${children[@]}" 2>/dev/null || true
}
trap stop_children EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [[ $worker -eq 1 ]]; then
  echo "==> Starting the background worker (python -m app worker)"
  .venv/bin/python -m app worker &
  children+=($!)
fi
if [[ $prod -eq 1 ]]; then
  workers=$(( $(nproc) * 2 + 1 ))
  # Metrics of every worker of this node, added up at /metrics (app/metrics.py);
  # emptied at each start, as prometheus_client's multiprocess mode requires.
  export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-$PWD/instance/prometheus}"
  rm -rf "$PROMETHEUS_MULTIPROC_DIR" && mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  echo "==> Serving with gunicorn ($workers workers) on http://$host:$port"
  .venv/bin/gunicorn --config gunicorn.conf.py --workers "$workers" --bind "$host:$port" \
    --access-logfile - 'app:create_app()' &
else
  echo "==> Serving on http://$host:$port (Ctrl+C to stop; --prod for gunicorn)"
  .venv/bin/python -m app serve --host "$host" --port "$port" &
fi
server=$!
children+=("$server")
wait "$server"
