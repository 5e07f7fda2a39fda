"""Screenshots for the README, and the width of every page on a phone.

A shopper who also sells (alice, on the demo data) fills a cart with a live
flash-sale item and two best sellers, then every page she reaches is opened
in Chromium at phone width (375 px) and at desktop width (1280 px). For each
page it prints the width the page lays out at (document scrollWidth; wider
than the window means sideways scrolling), and for a few key pages it saves
what the window shows as docs/screenshots/NAME-phone.png and NAME-desktop.png
(reduced to 64 colours so the README stays light).

    .venv/bin/python bench/screenshots.py                  # serves the app's database with gunicorn itself
    .venv/bin/python bench/screenshots.py --widths-only    # print widths, save nothing
    .venv/bin/python bench/screenshots.py --widths-only --phone 320
    .venv/bin/python bench/screenshots.py --url http://127.0.0.1:5000
    npm install --prefix /tmp/axe axe-core && \
    .venv/bin/python bench/screenshots.py --widths-only --axe /tmp/axe/node_modules/axe-core/axe.min.js

It changes the shopper's cart (emptied first) and tops up her balance, like
bench/journey.py. With --axe, it also runs axe-core (from npm, not a
dependency of Souk) on every page and prints what it finds. Exit status 1
when a page is wider than the phone or axe-core finds a violation.
"""
import argparse
import sys
from decimal import Decimal
from pathlib import Path

from journey import CHROMIUM, CHROMIUM_ARGS, serve_prod

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs/screenshots"
VIEWPORTS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 800}}
SHOTS = ("home", "category", "product", "cart", "inventory")


def demo_ids(email: str) -> dict:
    """Ids the page list needs, read from the demo data: the shopper, a
    product on a live flash sale by someone else, her latest purchase, one
    of her offers and another seller. Also empties her cart and tops her up."""
    sys.path.insert(0, str(ROOT))
    from app import create_app, db
    from app.models import ledger

    app = create_app()
    with app.app_context():
        user_id = db.query_value("SELECT id FROM users WHERE lower(email) = lower(%s)", (email,))
        if user_id is None:
            raise SystemExit(f"no user {email}: load the demo data first (./setup.sh)")
        db.execute("DELETE FROM cart_items WHERE user_id = %s", (user_id,))
        ledger.top_up(user_id, Decimal("500"))
        sale = db.query_one(
            """SELECT o.product_id, o.seller_id FROM flash_sales s JOIN offers o ON o.id = s.offer_id
               WHERE now() >= s.starts_at AND now() < s.ends_at AND s.units_sold < s.units_total
                 AND o.active AND o.quantity > 0 AND o.seller_id <> %s
               ORDER BY s.units_total - s.units_sold DESC, s.id LIMIT 1""", (user_id,))
        if sale is None:
            raise SystemExit("no live flash sale in the data: reload the demo data (python -m app init-db)")
        purchase_id = db.query_value("SELECT max(id) FROM purchases WHERE buyer_id = %s", (user_id,))
        offer_id = db.query_value("SELECT min(id) FROM offers WHERE seller_id = %s AND active", (user_id,))
    return {"user": user_id, "sale_product": sale["product_id"], "seller": sale["seller_id"],
            "purchase": purchase_id, "offer": offer_id}


def page_list(ids: dict) -> list[tuple[str, str]]:
    """(name, path) of every kind of page a logged-in shopper and seller reach."""
    pages = [
        ("home", "/"), ("search", "/search?q=shirt&sort=price_asc"), ("category", "/c/kitchen"),
        ("product", f"/products/{ids['sale_product']}"), ("cart", "/cart"), ("checkout", "/checkout"),
        ("history", "/purchases/"), ("account", "/account/"), ("edit profile", "/account/edit"),
        ("spending", "/account/analytics"), ("reviews written", "/account/reviews"),
        ("seller page", f"/users/{ids['seller']}"), ("inventory", "/sell/inventory"),
        ("new product", "/sell/inventory/new"), ("inbox", "/inbox/"), ("seller orders", "/sell/orders"),
        ("flash sales", "/sell/sales/"),
        ("choose sale offer", "/sell/sales/new"), ("sales analytics", "/sell/analytics"),
        ("reviews about me", "/sell/reviews"),
    ]
    if ids["purchase"]:
        pages.append(("purchase", f"/purchases/{ids['purchase']}"))
    if ids["offer"]:
        pages += [("edit offer", f"/sell/inventory/{ids['offer']}/edit"),
                  ("new flash sale", f"/sell/sales/new/{ids['offer']}")]
    return pages


def log_in_and_fill_cart(page, base: str, email: str, password: str, product_path: str) -> None:
    page.goto(base + "/auth/login")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("main button")
    page.goto(base + product_path)
    with page.expect_navigation():
        page.locator("#offers form.buy button").first.click()
    page.goto(base + "/")
    for _ in range(2):
        with page.expect_navigation():
            page.locator("#best-sellers-heading ~ table form.buy button").first.click()


def save_png(page, path: Path) -> int:
    """What the window shows, in 64 colours (text and flat colours lose nothing visible)."""
    from PIL import Image

    page.screenshot(path=str(path))
    Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)
    return path.stat().st_size


def axe_violations(page, axe_js: str) -> list[str]:
    """axe-core's WCAG 2.2 A/AA rules and best practices, one line per rule broken."""
    page.add_script_tag(path=axe_js)
    result = page.evaluate("axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa', "
                           "'best-practice']})")
    return [f"{v['id']} ({len(v['nodes'])}): {v['nodes'][0]['target']}" for v in result["violations"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="an already running server (default: start gunicorn on the demo data)")
    parser.add_argument("--email", default="alice@example.com")
    parser.add_argument("--password", default="souk-demo")
    parser.add_argument("--widths-only", action="store_true", help="print widths, save no screenshots")
    parser.add_argument("--phone", type=int, default=375, metavar="PX", help="phone width (default 375)")
    parser.add_argument("--axe", metavar="AXE_MIN_JS", help="run axe-core from this file on every page")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    VIEWPORTS["phone"]["width"] = args.phone
    ids = demo_ids(args.email)
    pages = page_list(ids)
    server, base = (None, args.url.rstrip("/")) if args.url else serve_prod()
    widths: dict[str, dict[str, int]] = {name: {} for name, _ in pages}
    saved = 0
    violations: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            context = browser.new_context(bypass_csp=bool(args.axe))  # axe-core is an inline script
            page = context.new_page()
            log_in_and_fill_cart(page, base, args.email, args.password, f"/products/{ids['sale_product']}")
            for label, viewport in VIEWPORTS.items():
                page.set_viewport_size(viewport)
                for name, path in pages:
                    response = page.goto(base + path)
                    if response.status != 200:
                        raise SystemExit(f"{path}: HTTP {response.status}")
                    widths[name][label] = page.evaluate("document.documentElement.scrollWidth")
                    if args.axe:
                        violations += [f"{label} {path}: {v}" for v in axe_violations(page, args.axe)]
                    if name in SHOTS and not args.widths_only:
                        OUT.mkdir(parents=True, exist_ok=True)
                        saved += save_png(page, OUT / f"{name}-{label}.png")
            browser.close()
    finally:
        if server:
            server.terminate()
            server.wait()
    phone, desktop = VIEWPORTS["phone"]["width"], VIEWPORTS["desktop"]["width"]
    print(f"{'page':<20} {'path':<28} {'at ' + str(phone):>7} {'at ' + str(desktop):>8}")
    too_wide = 0
    for name, path in pages:
        at_phone, at_desktop = widths[name]["phone"], widths[name]["desktop"]
        too_wide += at_phone > phone
        warning = "  WIDER THAN THE PHONE" if at_phone > phone else ""
        print(f"{name:<20} {path:<28} {at_phone:>7} {at_desktop:>8}{warning}")
    print(f"{too_wide} of {len(pages)} pages wider than {phone} px")
    if saved:
        count = len(SHOTS) * len(VIEWPORTS)
        print(f"screenshots: {count} PNGs, {saved / 1024:.0f} KB in {OUT.relative_to(ROOT)}/")
    if args.axe:
        print("\n".join(violations) or "axe-core: no violations")
    sys.exit(1 if too_wide or violations else 0)


if __name__ == "__main__":
    main()
