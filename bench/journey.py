"""A returning shopper buys 5 products from the home page, in a real browser.

Counts the clicks and form submits, and the bytes the browser received
(encoded body plus headers, from Chromium's own network events), per page.
Budget: at most 25 clicks and 100 KB for the whole journey, every page under
20 KB.

    .venv/bin/python bench/journey.py                 # serves the app's database with gunicorn itself
    .venv/bin/python bench/journey.py --url http://127.0.0.1:5000 --email alice@example.com

On a scratch database with a fresh demo data set instead of the app's own:

    SOUK_DATABASE_NAME=souk_journey .venv/bin/python -m app init-db
    SOUK_DATABASE_NAME=souk_journey .venv/bin/python bench/journey.py

The shopper logs in from the home page, adds 3 products from the home page
lists, searches for 2 more, checks out from the header (the review page),
places the order and lands on the purchase page, which must list the 5
products in orders from at least 2 sellers. It runs once with JavaScript on
and once with it off, each in a new browser profile with a cold cache.
"""
import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
BUDGET_CLICKS, BUDGET_BYTES, BUDGET_PAGE_BYTES = 25, 100 * 1024, 20 * 1024


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
    redirected_from: str | None = None


@dataclass
class Journey:
    clicks: int = 0
    pages: list[PageLoad] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    sellers: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)  # requests to other sites (there must be none)
    next_action: str = "(start)"

    @property
    def total_bytes(self) -> int:
        return sum(p.bytes for p in self.pages)


class NetworkMeter:
    """Adds up received bytes per navigation from the DevTools protocol: the
    document, its redirects and every subresource it asked for (a file the
    browser took from its cache costs nothing and is not counted)."""

    def __init__(self, context, page, journey: Journey, origin: str):
        self.journey, self.origin = journey, origin
        self.owner: dict[str, PageLoad] = {}  # DevTools request id -> the navigation it belongs to
        cdp = context.new_cdp_session(page)
        cdp.on("Network.requestWillBeSent", self._request)
        cdp.on("Network.requestServedFromCache", self._from_cache)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.send("Network.enable")

    def _request(self, event):
        request_id, redirect, url = event["requestId"], event.get("redirectResponse"), event["request"]["url"]
        if url.startswith(("http:", "https:")) and not url.startswith(self.origin + "/"):
            self.journey.external.append(url)
        if redirect:  # the 302 of a POST-redirect-GET is network traffic too
            load = self.owner[request_id]
            load.bytes += int(redirect.get("encodedDataLength", 0))
            load.redirected_from = load.redirected_from or load.url
            load.url = url
        elif event.get("type") == "Document":
            load = PageLoad(self.journey.next_action, event["request"]["method"], url)
            self.journey.pages.append(load)
        else:
            load = self.journey.pages[-1]
        self.owner[request_id] = load
        load.requests += 1

    def _from_cache(self, event):
        self.owner[event["requestId"]].requests -= 1

    def _finished(self, event):
        load = self.owner.get(event["requestId"])
        if load is not None:
            load.bytes += int(event.get("encodedDataLength", 0))


def _click(page, journey: Journey, locator, action: str) -> None:
    """One click that navigates, waited for until the new page has loaded."""
    journey.next_action = action
    with page.expect_navigation():
        locator.click()
    journey.clicks += 1


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
                javascript: bool = True) -> Journey:
    """Drive the whole purchase in a new browser context (cold cache, no
    cookies); returns the clicks, the bytes per page and what was bought.
    Raises JourneyError when a step is impossible on the pages served."""
    base_url = base_url.rstrip("/")
    context = browser.new_context(java_script_enabled=javascript)
    page = context.new_page()
    page.set_default_timeout(20000)
    journey = Journey()
    NetworkMeter(context, page, journey, base_url)
    try:
        page.goto(base_url + "/")
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


def report(journey: Journey, label: str) -> bool:
    """Print the journey as a Markdown table; True when within budget."""
    print(f"\n{label}: {journey.clicks} clicks/submits, {journey.total_bytes / 1024:.1f} KB received, "
          f"{len(journey.products)} products from {len(journey.sellers)} sellers\n")
    print("| step | click | page | requests | KB |\n|---:|---|---|---:|---:|")
    for step, load in enumerate(journey.pages):
        print(f"| {step} | {load.action} | {_page_label(load)} | "
              f"{load.requests} | {load.bytes / 1024:.1f} |")
    print(f"| | **{journey.clicks} clicks** | **total** | {sum(p.requests for p in journey.pages)} | "
          f"**{journey.total_bytes / 1024:.1f}** |")
    heaviest = max(journey.pages, key=lambda p: p.bytes)
    ok = (journey.clicks <= BUDGET_CLICKS and journey.total_bytes <= BUDGET_BYTES
          and heaviest.bytes <= BUDGET_PAGE_BYTES)
    print(f"\nbudget ({BUDGET_CLICKS} clicks, {BUDGET_BYTES // 1024} KB, {BUDGET_PAGE_BYTES // 1024} KB per "
          f"page; heaviest page {heaviest.bytes / 1024:.1f} KB): {'met' if ok else 'MISSED'}")
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
    parser.add_argument("--email", default="alice@example.com")
    parser.add_argument("--password", default="souk-demo")
    parser.add_argument("--query", default="shirt", help="what the shopper searches for")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = None
    url = args.url
    if url is None:
        server, url = serve_prod()
    ok = True
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for javascript in (True, False):
                if not args.url:
                    prepare_shopper(args.email)
                journey = run_journey(browser, url, args.email, args.password, args.query, javascript)
                ok &= report(journey, f"JavaScript {'on' if javascript else 'off'}")
            browser.close()
    finally:
        if server:
            server.terminate()
            server.wait()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
