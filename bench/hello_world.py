"""The smallest Flask app: the ceiling bench/throughput.py compares Souk's
pages to, served by the same gunicorn with the same settings."""
from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "Hello, World!"
