"""A returning shopper buys 5 products from the home page, in a real browser.

Counts the clicks and form submits, and the bytes the browser received per
page: everything the server sent (headers and compressed bodies), counted
by a small TCP relay between the browser and the server, so what the
service worker fetches counts too. Budget: at most 25 clicks, 150 KB with
photos and 70 KB when the browser sends `Save-Data: on`.

    .venv/bin/python bench/journey.py                 # serves the app's database with gunicorn itself
    .venv/bin/python bench/journey.py --url http://127.0.0.1:5000 --email alice@example.com
    DATABASE_URL=postgresql://postgres@127.0.0.1:5441/souk \
        .venv/bin/python bench/journey.py --url http://127.0.0.1:8080   # the cluster demo

Before each run the shopper's cart is emptied and their balance topped up
in the database: the app's own, or DATABASE_URL's when a --url server
serves another one (without it, a --url run takes the shopper as it is).

Each of the 8 runs is a different demo shopper (alice, bob, ... heidi), or
--email for all: one shopper would soon reach the per-customer limit of the
flash sales the home page lists.

On a scratch database with a fresh demo data set instead of the app's own:

    SOUK_DATABASE_NAME=souk_journey .venv/bin/python -m app init-db
    SOUK_DATABASE_NAME=souk_journey .venv/bin/python bench/journey.py

The shopper logs in from the home page, adds 3 products from the home page
lists, searches for 2 more, checks out from the header (the review page),
places the order and lands on the purchase page, which must list the 5
products in orders from at least 2 sellers. It runs on a desktop window and
on a 375-px phone (2x pixels), with and without Save-Data, with JavaScript
on and off: each run in a new browser profile with a cold cache. After each
click it waits until the network is idle (lazy photos in view loaded).
"""
import argparse
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
BUDGET_CLICKS, BUDGET_BYTES, BUDGET_SAVE_DATA_BYTES = 25, 150 * 1024, 70 * 1024
DEMO_SHOPPERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi")
SCREENS = {"desktop": {"viewport": {"width": 1280, "height": 800}},
           "phone": {"viewport": {"width": 375, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
                     "has_touch": True}}


class JourneyError(RuntimeError):
    """The shopper could not do what the journey needs on the pages served."""


@dataclass
class PageLoad:
    """One navigation: what the shopper did, the document (after any
    redirects), and the bytes and network requests it cost."""
    action: str
    method: str
    url: str
    bytes: int = 0
    requests: int = 0
    paths: list[str] = field(default_factory=list)  # what was asked, in order
    redirected_from: str | None = None


@dataclass
class Journey:
    clicks: int = 0
    pages: list[PageLoad] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    sellers: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)  # requests to other sites (there must be none)
    next_action: str = "(start)"
    relay: "Relay | None" = None

    @property
    def total_bytes(self) -> int:
        return sum(p.bytes for p in self.pages)


REQUEST_LINE_END = b" HTTP/1.1\r\n"
REQUEST_PATH = re.compile(rb"(?:GET|POST|HEAD) (\S+) HTTP/1\.1\r\n")


class Relay:
    """A TCP relay in front of the server that counts what the server sends
    (bytes) and what the browser asks (requests), whoever asks: the page or
    its service worker. With save_data it adds `Save-Data: on` to every
    request, as a browser's data saver does in its network stack
    (playwright's extra headers are lost when Chromium follows a redirect)."""

    def __init__(self, target: str, save_data: bool = False):
        host, port = target.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.received = self.requests = 0
        self.paths: list[str] = []
        self.save_data = save_data
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                browser, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            threading.Thread(target=self._pump, args=(browser, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, browser, True), daemon=True).start()

    def _pump(self, source, sink, from_server: bool):
        tail = b""
        try:
            while data := source.recv(65536):
                with self.lock:
                    if from_server:
                        self.received += len(data)
                    else:  # a request line ends " HTTP/1.1\r\n"; keep a tail for lines split across reads
                        self.requests += (tail + data).count(REQUEST_LINE_END)
                        self.paths += [path.decode() for path in REQUEST_PATH.findall(data)]
                        tail = data[-16:]
                        if self.save_data:
                            data = data.replace(REQUEST_LINE_END, REQUEST_LINE_END + b"Save-Data: on\r\n")
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def take(self) -> tuple[int, int, list[str]]:
        """Bytes received, requests made and their paths since the last call."""
        with self.lock:
            taken = self.received, self.requests, self.paths
            self.received, self.requests, self.paths = 0, 0, []
        return taken

    def close(self):
        self.listener.close()


class PageMeter:
    """Names each navigation (the document, after redirects) from the
    DevTools protocol and notes requests to other sites (there must be none)."""

    def __init__(self, context, page, journey: Journey, origin: str):
        self.journey, self.origin = journey, origin
        cdp = context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.send("Network.enable")

    def _request(self, event):
        redirect, url = event.get("redirectResponse"), event["request"]["url"]
        if url.startswith(("http:", "https:")) and not url.startswith(self.origin + "/"):
            self.journey.external.append(url)
        if redirect and event.get("type") == "Document":
            load = self.journey.pages[-1]
            load.redirected_from = load.redirected_from or load.url
            load.url = url
        elif event.get("type") == "Document" and not redirect:
            self.journey.pages.append(PageLoad(self.journey.next_action, event["request"]["method"], url))


def _settle(page, relay: Relay, journey: Journey) -> None:
    """Wait until the page and what it loads are done; charge the bytes to it."""
    page.wait_for_load_state("networkidle")
    load = journey.pages[-1]
    received, requests, paths = relay.take()
    load.bytes += received
    load.requests += requests
    load.paths += paths


def _click(page, journey: Journey, locator, action: str) -> None:
    """One click that navigates, waited for until the new page and what it
    loads are done."""
    journey.next_action = action
    with page.expect_navigation():
        locator.click()
    journey.clicks += 1
    _settle(page, journey.relay, journey)


def _flash(page) -> str:
    return " ".join(page.locator("main .flash").all_inner_texts())


def _add_products(page, journey: Journey, wanted: int) -> None:
    """Add the first `wanted` products of this page's lists not yet in the cart."""
    for _ in range(wanted):
        rows = page.locator("main tr:has(form.buy)")
        names = [rows.nth(index).locator("td a").first.inner_text() for index in range(rows.count())]
        new = [index for index, name in enumerate(names) if name not in journey.products]
        if not new:
            raise JourneyError(f"not enough new products to add on {page.url}")
        journey.products.append(names[new[0]])
        _click(page, journey, rows.nth(new[0]).get_by_role("button", name="Add to cart"), "Add to cart")
        if "Added" not in _flash(page):
            raise JourneyError(f"{names[new[0]]!r} was not added: {_flash(page)!r} at {page.url}")


def _check_purchase(page, journey: Journey) -> None:
    """The purchase page shows every product added, in one order per seller."""
    heading = page.locator("h1").inner_text()
    if not heading.startswith("Purchase #"):
        raise JourneyError(f"checkout did not reach the purchase page: {heading!r} at {page.url}: "
                           f"{page.locator('main ul, main .warn').all_inner_texts()}")
    journey.sellers = [title.split(" from ", 1)[1] for title in
                       page.locator("main h2").filter(has_text="Order #").all_inner_texts()]
    bought = page.locator("main tbody td:first-child a").all_inner_texts()
    if sorted(bought) != sorted(journey.products):
        raise JourneyError(f"the purchase has {bought}, the shopper added {journey.products}")
    if len(journey.sellers) < 2:
        raise JourneyError(f"the purchase is from {len(journey.sellers)} seller(s); the journey needs 2+")


def run_journey(browser, base_url: str, email: str, password: str, query: str,
                javascript: bool = True, screen: str = "desktop", save_data: bool = False) -> Journey:
    """Drive the whole purchase in a new browser context (cold cache, no
    cookies) on `screen` (a key of SCREENS), sending `Save-Data: on` when
    asked; returns the clicks, the bytes per page and what was bought.
    Raises JourneyError when a step is impossible on the pages served."""
    relay = Relay(base_url.rstrip("/"), save_data)
    base_url = relay.url
    context = browser.new_context(java_script_enabled=javascript, **SCREENS[screen])
    page = context.new_page()
    page.set_default_timeout(20000)
    journey = Journey(relay=relay)
    PageMeter(context, page, journey, base_url)
    try:
        page.goto(base_url + "/")
        _settle(page, relay, journey)
        _click(page, journey, page.get_by_role("link", name="Log in"), "Log in")
        page.fill("#email", email)
        page.fill("#password", password)
        _click(page, journey, page.locator("main").get_by_role("button", name="Log in"), "Log in")
        if "Welcome back" not in _flash(page):
            raise JourneyError(f"could not log in as {email}: {page.locator('main').inner_text()[:300]!r}")
        _add_products(page, journey, 3)
        page.fill("#q", query)
        _click(page, journey, page.get_by_role("button", name="Search"), "Search")
        _add_products(page, journey, 2)
        _click(page, journey, page.locator("header").get_by_role("link", name="Check out"), "Check out")
        _click(page, journey, page.get_by_role("button", name="Place order"), "Place order")
        _check_purchase(page, journey)
    finally:
        context.close()
        relay.close()
    if len(journey.pages) != journey.clicks + 1:
        raise JourneyError(f"{journey.clicks} clicks made {len(journey.pages) - 1} page loads")
    if journey.external:
        raise JourneyError(f"requests to other sites: {journey.external}")
    return journey


def _path(url: str) -> str:
    return "/" + url.split("//", 1)[-1].split("/", 1)[-1]


def _page_label(load: PageLoad) -> str:
    if load.redirected_from:
        return f"{load.method} {_path(load.redirected_from)} → {_path(load.url)}"
    return f"{load.method} {_path(load.url)}"


def report(journey: Journey, label: str, budget: int) -> bool:
    """Print the journey as a Markdown table; True when within budget."""
    print(f"\n{label}: {journey.clicks} clicks/submits, {journey.total_bytes / 1024:.1f} KB received, "
          f"{len(journey.products)} products from {len(journey.sellers)} sellers\n")
    print("| step | click | page | requests | KB |\n|---:|---|---|---:|---:|")
    for step, load in enumerate(journey.pages):
        print(f"| {step} | {load.action} | {_page_label(load)} | "
              f"{load.requests} | {load.bytes / 1024:.1f} |")
    print(f"| | **{journey.clicks} clicks** | **total** | {sum(p.requests for p in journey.pages)} | "
          f"**{journey.total_bytes / 1024:.1f}** |")
    ok = journey.clicks <= BUDGET_CLICKS and journey.total_bytes <= budget
    print(f"\nbudget ({BUDGET_CLICKS} clicks, {budget // 1024} KB): {'met' if ok else 'MISSED'}")
    return ok


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_prod() -> tuple[subprocess.Popen, str]:
    """gunicorn with several workers on the app's own database, as ./setup.sh --prod does."""
    port = _free_port()
    workers = str(os.cpu_count() * 2 + 1)
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "--workers", workers, "--bind",
                               f"127.0.0.1:{port}", "app:create_app()"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            return server, url
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def prepare_shopper(email: str) -> None:
    """Setup, not part of the journey: an empty cart and enough balance."""
    sys.path.insert(0, str(ROOT))
    from app import create_app, db
    from app.models import ledger

    app = create_app()
    with app.app_context():
        user_id = db.query_value("SELECT id FROM users WHERE lower(email) = lower(%s)", (email,))
        if user_id is None:
            raise SystemExit(f"no user {email}: load the demo data first (./setup.sh)")
        db.execute("DELETE FROM cart_items WHERE user_id = %s", (user_id,))
        ledger.top_up(user_id, Decimal("5000"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="an already running server (default: start gunicorn on the demo data)")
    parser.add_argument("--email", help="one shopper for every run (default: a demo shopper per run)")
    parser.add_argument("--password", default="souk-demo")
    parser.add_argument("--query", default="shirt", help="what the shopper searches for")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = None
    url = args.url
    if url is None:
        server, url = serve_prod()
    ok, summary = True, []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for screen in SCREENS:
                for save_data in (False, True):
                    for javascript in (True, False):
                        shopper = DEMO_SHOPPERS[len(summary) % len(DEMO_SHOPPERS)]
                        email = args.email or f"{shopper}@example.com"
                        if not args.url or os.environ.get("DATABASE_URL"):
                            prepare_shopper(email)
                        journey = run_journey(browser, url, email, args.password, args.query,
                                              javascript, screen, save_data)
                        budget = BUDGET_SAVE_DATA_BYTES if save_data else BUDGET_BYTES
                        label = (f"{screen}, {'Save-Data: on' if save_data else 'photos on'}, "
                                 f"JavaScript {'on' if javascript else 'off'}")
                        within = report(journey, label, budget)
                        ok &= within
                        summary.append((label, journey, budget, within))
            browser.close()
    finally:
        if server:
            server.terminate()
            server.wait()
    print("\n| run | clicks | requests | KB | budget KB | ratio to budget |\n|---|---:|---:|---:|---:|---:|")
    for label, journey, budget, within in summary:
        print(f"| {label} | {journey.clicks} | {sum(p.requests for p in journey.pages)} | "
              f"{journey.total_bytes / 1024:.1f} | {budget // 1024} | {journey.total_bytes / budget:.2f}"
              f"{'' if within else ' MISSED'} |")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
