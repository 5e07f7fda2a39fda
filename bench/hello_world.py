"""The smallest Flask app: the ceiling bench/throughput.py compares Souk's
pages to, served by the same gunicorn with the same settings. /one-query
also reads one row by primary key from DATABASE_URL (one connection per
worker): what one database round trip alone costs a sync worker."""
import os

from flask import Flask

app = Flask(__name__)
_conn = []


@app.route("/")
def hello():
    return "Hello, World!"


@app.route("/one-query")
def one_query():
    if not _conn:
        import psycopg2

        _conn.append(psycopg2.connect(os.environ["DATABASE_URL"]))
        _conn[0].autocommit = True
    with _conn[0].cursor() as cur:
        cur.execute("SELECT first_name FROM users WHERE id = %s", (1,))
        return f"Hello, {cur.fetchone()[0]}!"
