"""Benchmark: how Souk holds up as an attacker and an operator would try it.

    .venv/bin/python bench/hardening.py [--tree PATH] [--redis URL] [--attempts 300]

Serves the code in --tree (default: this checkout; give another checkout,
e.g. `mkdir /tmp/souk-main; git archive main | tar -x -C /tmp/souk-main`)
with gunicorn (3 workers x 4 threads, as `./setup.sh --prod` does) on a free
loopback port, on a scratch database `souk_bench_hardening` on this
checkout's embedded PostgreSQL (dropped at the end), and prints:

1. NUL bytes: every text field of registration, log-in and profile edit
   posted with NUL in it: how many answers were 5xx.
2. Database restart under load: 8 client threads request pages while the
   embedded server is restarted (fast mode) and then stopped for 5 s:
   answers by status, and seconds from "database back" to the first
   success; then an idle restart, and how many of the next 12 requests fail.
3. Brute force: --attempts wrong passwords for one account at ~20/s on the
   web log-in and on POST /api/v1/tokens: when the first 429 came, with
   Retry-After or not.
4. Log-in timing: median time of a wrong password for a registered and an
   unregistered email (web and API), and their ratio (1.00 = same time).

Steps 1, 2 and 4 run with rate limits off (SOUK_RATELIMIT_ENABLED=0; older
code ignores it) so they measure what they name; step 3 with the limits as
shipped, in memory per worker unless --redis gives a storage URL. Every
loop is bounded; all traffic stays on 127.0.0.1. It restarts the embedded
server of this checkout: do not run it while this checkout's tests run.
"""
import argparse
import http.client
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import db, embedded  # noqa: E402

DB_NAME = "souk_bench_hardening"
PASSWORD = "bench-password-1"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class Browser:
    """One visitor: keeps its cookies, never follows redirects."""

    def __init__(self, port: int):
        self.port, self.cookies = port, {}

    def request(self, method: str, path: str, form: dict | None = None, json_body=None,
                headers: dict | None = None) -> tuple[int, dict, str, float]:
        headers = dict(headers or {})
        body = None
        if form is not None:
            body, headers["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        elif json_body is not None:
            body, headers["Content-Type"] = json.dumps(json_body), "application/json"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            conn.close()
        elapsed = time.perf_counter() - started
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, text, elapsed

    def form_token(self, path: str) -> str | None:
        status, _, text, _ = self.request("GET", path)
        match = CSRF.search(text) if status == 200 else None
        return match.group(1) if match else None

    def post_form(self, path: str, data: dict) -> tuple[int, dict, str, float]:
        token = self.form_token(path)
        return self.request("POST", path, {"csrf_token": token or "", **data})


def find_path(port: int, candidates: list[str]) -> str:
    """The first candidate that is a page (URLs moved between versions)."""
    for path in candidates:
        if Browser(port).request("GET", path)[0] == 200:
            return path
    raise SystemExit(f"none of {candidates} answers 200")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(tree: Path, dsn: str, env_extra: dict, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": dsn, "SECRET_KEY": "bench-" + secrets.token_hex(16),
           "SOUK_DB_POOL_MAX": "4", **env_extra}
    config = ["--config", "gunicorn.conf.py"] if (tree / "gunicorn.conf.py").exists() else []
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), *config, "--workers", "3", "--threads", "4",
         "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", "app:create_app()"],
        cwd=tree, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if Browser(port).request("GET", "/")[0] == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not start; see {log}")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def prepare_database(tree: Path) -> str:
    server_dsn = embedded.start(ROOT / "instance")
    db.drop_database(server_dsn, DB_NAME)
    db.create_database(server_dsn, DB_NAME)
    dsn = db.with_dbname(server_dsn, DB_NAME)
    # The schema of the tree being measured, applied by its own code.
    subprocess.run([str(ROOT / ".venv/bin/python"), "-c", f"from app import db; db.migrate({dsn!r})"],
                   cwd=tree, check=True)
    import psycopg2

    conn = psycopg2.connect(dsn)
    with conn, conn.cursor() as cur:
        cur.execute("""INSERT INTO users (email, password_hash, first_name, last_name)
                       VALUES ('seller@bench.example', 'no-login', 'Bench', 'Seller') RETURNING id""")
        seller = cur.fetchone()[0]
        cur.execute("INSERT INTO categories (name, slug) VALUES ('Bench', 'bench') RETURNING id")
        category = cur.fetchone()[0]
        cur.execute("""INSERT INTO products (category_id, creator_id, name, description)
                       VALUES (%s, %s, 'Bench kettle', 'Boils.') RETURNING id""", (category, seller))
        product = cur.fetchone()[0]
        cur.execute("INSERT INTO offers (product_id, seller_id, price, quantity) VALUES (%s, %s, 9.99, 50)",
                    (product, seller))
    conn.close()
    return dsn


def register(port: int, paths: dict, email: str) -> Browser:
    browser = Browser(port)
    status, _, text, _ = browser.post_form(paths["register"], {
        "email": email, "first_name": "Bench", "last_name": "User", "address": "1 Loop Road",
        "password": PASSWORD, "confirm": PASSWORD})
    if status != 302:
        raise SystemExit(f"registering {email} answered {status}: {text[:300]}")
    return browser


def nul_fuzz(port: int, paths: dict) -> Counter:
    statuses: Counter = Counter()
    valid = {"register": {"email": "x@bench.example", "first_name": "A", "last_name": "B", "address": "C",
                          "password": PASSWORD, "confirm": PASSWORD},
             "login": {"email": "known@bench.example", "password": "wrong-password"},
             "edit": {"email": "known@bench.example", "first_name": "A", "last_name": "B", "address": "C"}}
    payloads = ["\x00", "a\x00b", "x@bench.example\x00", "\x00" * 50]
    for form, fields in valid.items():
        for field in fields:
            for number, payload in enumerate(payloads):
                browser = login(port, paths) if form == "edit" else Browser(port)
                data = dict(fields)
                if form == "register":  # a fresh email each time, so only the NUL can fail it
                    data["email"] = f"fuzz-{field}-{number}-{secrets.token_hex(3)}@bench.example"
                data[field] = payload
                statuses[browser.post_form(paths[form], data)[0]] += 1
    return statuses


def login(port: int, paths: dict) -> Browser:
    browser = Browser(port)
    status = browser.post_form(paths["login"], {"email": "known@bench.example", "password": PASSWORD})[0]
    if status != 302:
        raise SystemExit(f"log-in answered {status}")
    return browser


def outage(port: int, paths: dict) -> dict:
    user = login(port, paths)
    pages = ["/", "/products/1", paths["account"], "/api/v1/products"]
    answers: list[tuple[float, int]] = []
    done = threading.Event()

    def load(n: int) -> None:
        visitor = Browser(port)
        visitor.cookies = dict(user.cookies)
        for i in range(100_000):  # bounded; `done` ends it after ~20 s
            if done.is_set():
                return
            try:
                status = visitor.request("GET", pages[(n + i) % len(pages)])[0]
            except OSError:
                status = 0
            answers.append((time.monotonic(), status))

    threads = [threading.Thread(target=load, args=(n,), daemon=True) for n in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    started = time.monotonic()
    embedded.control(ROOT / "instance", "restart")
    restart_seconds = time.monotonic() - started
    time.sleep(3)
    embedded.control(ROOT / "instance", "stop")
    time.sleep(5)
    embedded.start(ROOT / "instance")
    back = time.monotonic()
    time.sleep(8)
    done.set()
    for thread in threads:
        thread.join(timeout=60)
    recovered = [t for t, status in answers if t > back and status == 200]
    # An idle restart: nothing runs, then 12 requests, spread over the workers.
    time.sleep(1)
    embedded.control(ROOT / "instance", "restart")
    visitor = Browser(port)
    visitor.cookies = dict(user.cookies)
    after_idle = Counter(visitor.request("GET", pages[i % len(pages)])[0] for i in range(12))
    return {"statuses": Counter(status for _, status in answers), "restart_seconds": restart_seconds,
            "recovery_seconds": (min(recovered) - back) if recovered else None, "after_idle": after_idle}


def brute_force(port: int, paths: dict, attempts: int) -> dict:
    results = {}
    for name in ("web", "api"):
        statuses, first_429, retry_after = [], None, None
        browser = Browser(port)
        token = browser.form_token(paths["login"])
        for number in range(1, attempts + 1):
            started = time.perf_counter()
            if name == "web":
                status, headers, _, _ = browser.request("POST", paths["login"], {
                    "csrf_token": token, "email": "known@bench.example", "password": f"guess-{number}"})
            else:
                status, headers, _, _ = browser.request("POST", "/api/v1/tokens", json_body={
                    "email": "known@bench.example", "password": f"guess-{number}"})
            statuses.append(status)
            if status == 429 and first_429 is None:
                first_429, retry_after = number, headers.get("retry-after")
            time.sleep(max(0.0, 0.05 - (time.perf_counter() - started)))  # ~20 per second
        results[name] = {"statuses": Counter(statuses), "first_429": first_429, "retry_after": retry_after}
    return results


def timing(port: int, paths: dict, rounds: int = 25) -> dict:
    times: dict[tuple[str, str], list[float]] = {}
    browser = Browser(port)
    token = browser.form_token(paths["login"])
    for number in range(rounds):
        for who, email in (("known", "known@bench.example"), ("unknown", f"nobody{number}@bench.example")):
            _, _, _, web = browser.request("POST", paths["login"], {
                "csrf_token": token, "email": email, "password": "wrong-password"})
            _, _, _, api = browser.request("POST", "/api/v1/tokens", json_body={
                "email": email, "password": "wrong-password"})
            times.setdefault(("web", who), []).append(web)
            times.setdefault(("api", who), []).append(api)
    return {key: statistics.median(values) * 1000 for key, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="checkout whose code is served")
    parser.add_argument("--redis", help="rate-limit storage URL for step 3, e.g. redis://127.0.0.1:6379/15")
    parser.add_argument("--attempts", type=int, default=300)
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # each step's line as soon as it is known
    tree = args.tree.resolve()
    log = Path(f"/tmp/souk_bench_hardening_{os.getpid()}.log")
    dsn = prepare_database(tree)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True,
                            text=True).stdout.strip()
    print(f"Serving {tree} ({f'commit {commit}' if commit else 'not a git checkout'})")
    try:
        server, port = start_gunicorn(tree, dsn, {"SOUK_RATELIMIT_ENABLED": "0"}, log)
        try:
            paths = {"login": find_path(port, ["/login", "/auth/login"]),
                     "register": find_path(port, ["/register", "/auth/register"])}
            register(port, paths, "known@bench.example")
            paths["account"], paths["edit"] = "/account/", "/account/edit"
            fuzz = nul_fuzz(port, paths)
            print(f"1. NUL fuzz: {sum(fuzz.values())} requests, "
                  f"{sum(n for s, n in fuzz.items() if s >= 500)} answered 5xx; statuses {dict(fuzz)}")
            spent = timing(port, paths)
            for kind in ("web", "api"):
                known, unknown = spent[(kind, "known")], spent[(kind, "unknown")]
                print(f"4. wrong password ({kind}): registered email {known:.1f} ms, "
                      f"unknown email {unknown:.1f} ms, ratio unknown/registered {unknown / known:.2f}")
            result = outage(port, paths)
            statuses = result["statuses"]
            print(f"2. restart ({result['restart_seconds']:.2f} s) + 5 s stop under load: "
                  f"{sum(statuses.values())} answers {dict(sorted(statuses.items()))}; "
                  f"5xx other than 503: {sum(n for s, n in statuses.items() if s >= 500 and s != 503)}; "
                  f"first success {result['recovery_seconds'] and round(result['recovery_seconds'], 2)} s "
                  f"after the database was back")
            idle = result["after_idle"]
            print(f"   idle restart, next 12 requests: {dict(idle)} "
                  f"({sum(n for s, n in idle.items() if s >= 500)} failed)")
        finally:
            stop(server)
        storage = {"SOUK_RATELIMIT_STORAGE_URL": args.redis} if args.redis else {}
        server, port = start_gunicorn(tree, dsn, storage, log)
        try:
            for kind, found in brute_force(port, paths, args.attempts).items():
                print(f"3. {args.attempts} wrong passwords ({kind}, ~20/s, "
                      f"{'redis' if args.redis else 'memory'} storage): {dict(found['statuses'])}; "
                      f"first 429 at attempt {found['first_429']}, Retry-After {found['retry_after']}")
        finally:
            stop(server)
    finally:
        embedded.start(ROOT / "instance")
        db.drop_database(db.with_dbname(dsn, "postgres"), DB_NAME)


if __name__ == "__main__":
    main()
