"""Every form of the app, found by walking its routes (not from a hand-made
list), gets hostile values in every field: NUL bytes, 5,000 characters,
right-to-left text and emoji, HTML, SQL quotes, huge numbers. No answer is
a 5xx, no page echoes the HTML unescaped, and the database invariants
(balances equal ledgers, stock and counts add up) still hold after it."""
import importlib
import pkgutil
import re
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urlsplit

from wtforms import Form, StringField
from wtforms.fields.core import UnboundField

import app.forms
from app.forms.fields import StorableText
from tests.support import PASSWORD, assert_invariants, log_in, rows

PAYLOADS = [
    "\x00",
    "a\x00b",
    "x" * 5000,
    "\u0645\u0631\u062d\u0628\u0627 \u202e\u202d \U0001f469\u200d\U0001f4bb \U0001f680",
    "<script>alert(1)</script>\"'><b>",
    "' OR '1'='1'; DROP TABLE users; --",
    "99999999999999999999999",
]
XSS = "<script>alert(1)</script>"
# Forms that end the session they are sent from; they are fuzzed last.
SESSION_ENDERS = ("/logout", "/logout-everywhere")
# URL arguments, filled with the ids of the data made below.
SKIP_PREFIXES = ("/api/", "/static", "/healthz", "/readyz")


class FormParser(HTMLParser):
    """The forms of a page: action, method and fields with their values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "method": (attrs.get("method") or "get")
                               .lower(), "fields": {}})
        elif not self.forms:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                self.forms[-1]["fields"].setdefault(attrs["name"], "")
            elif kind not in ("submit", "button", "image", "reset"):
                self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = attrs["name"]
            self.forms[-1]["fields"][self._textarea] = ""
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
            self.forms[-1]["fields"][self._select] = None
        elif tag == "option" and self._select:
            fields = self.forms[-1]["fields"]
            if fields[self._select] is None or "selected" in attrs:
                fields[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data


def forms_of(html: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def valid_value(name: str, shown: str, email: str | None, number: int) -> str:
    """A value the field accepts, so that a form fails only because of the
    one hostile field: what the page filled in, else a guess from the name."""
    if shown:
        return shown
    base = name.rsplit("-", 1)[-1]
    guesses = {"email": f"fuzz-{number}@example.com" if email is None else email,
               "password": PASSWORD, "confirm": PASSWORD, "current": PASSWORD,
               "amount": "5.00", "price": "9.99", "sale_price": "5.00", "quantity": "1", "rating": "4",
               "stars": "4", "q": "kettle", "name": "Fuzz thing", "first_name": "Fuzz", "last_name": "Er",
               "title": "Fuzz", "description": "Made by the fuzz test.", "body": "Fine.",
               "address": "1 Fuzz Road", "remember": "y"}
    return guesses.get(base, "1")


def fill(rule, ids: dict) -> str | None:
    """The rule's URL with its arguments taken from `ids`, or None."""
    path = rule.rule
    for name in rule.arguments:
        if name not in ids:
            return None
        path = re.sub(r"<[^>]*\b" + name + ">", str(ids[name]), path)
    return path


def buy(app, user, offer) -> int:
    """Buy one unit through the real cart and checkout (money moves with a
    ledger row, as the invariants expect). Returns the purchase id."""
    client = app.test_client()
    log_in(client, user)
    client.post("/cart/add", data={"offer_id": offer["offer_id"], "quantity": "1"})
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"',
                    client.get("/checkout").get_data(as_text=True)).group(1)
    response = client.post("/checkout", data={"idempotency_key": key})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def seed(app, make_user, make_offer):
    """A shopper who also sells, with stock, a purchase, a sale to fulfil, a
    cart and a balance."""
    user = make_user(balance=Decimal("500"))
    other = make_user(balance=Decimal("500"))
    mine = make_offer(seller=user, price="12.00", quantity=20, name="My kettle")
    theirs = make_offer(seller=other, price="7.50", quantity=30, name="Their teapot")
    purchase_id = buy(app, user, theirs)
    sold_to_other = buy(app, other, mine)
    order = rows(app, "SELECT id FROM orders WHERE purchase_id = %s", (sold_to_other,))[0]["id"]
    line = rows(app, "SELECT id FROM order_lines WHERE order_id = %s", (order,))[0]["id"]
    slug = rows(app, "SELECT slug FROM categories LIMIT 1")[0]["slug"]
    ids = {"product_id": theirs["product_id"], "offer_id": mine["offer_id"], "purchase_id": purchase_id,
           "order_id": order, "line_id": line, "user_id": other.id, "seller_id": other.id, "slug": slug,
           "kind": "product", "review_id": 1}
    return user, ids, theirs


def discover_forms(app, visitor, shopper, ids) -> list[tuple[str, dict]]:
    """(who, form) for every distinct form on every page both can open."""
    found, seen = [], set()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.rule.startswith(SKIP_PREFIXES) or rule.rule.endswith(".svg"):
            continue
        path = fill(rule, ids)
        if path is None:
            continue
        for who, client in (("visitor", visitor), ("shopper", shopper)):
            response = client.get(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            for form in forms_of(response.get_data(as_text=True)):
                action = form["action"] or path
                key = (who, form["method"], urlsplit(action).path, tuple(sorted(form["fields"])))
                if key not in seen:
                    seen.add(key)
                    found.append((who, {**form, "action": action}))
    return found


def test_hostile_values_in_every_field_of_every_form(app, database, make_user, make_offer, client):
    user, ids, theirs = seed(app, make_user, make_offer)
    shopper = app.test_client()
    log_in(shopper, user)
    shopper.post("/cart/add", data={"offer_id": theirs["offer_id"], "quantity": "1"})
    forms = discover_forms(app, client, shopper, ids)
    actions = {urlsplit(form["action"]).path for _, form in forms}
    # The walk found the forms that matter (and would notice losing them).
    for expected in ("/register", "/login", "/account/edit", "/account/password", "/account/topup",
                     "/cart/add", "/checkout", "/sell/inventory/new", "/search"):
        assert any(action.endswith(expected) for action in actions), (expected, " ".join(sorted(actions)))
    forms.sort(key=lambda item: urlsplit(item[1]["action"]).path.endswith(SESSION_ENDERS))

    failures, requests = [], 0
    for who, form in forms:
        sender = client if who == "visitor" else shopper
        # A visitor logs in as the shopper; the shopper's forms show its email.
        email = user.email if urlsplit(form["action"]).path.endswith("/login") else None
        for name in [name for name in form["fields"] if name != "csrf_token"]:
            for payload in PAYLOADS:
                requests += 1
                data = {field: valid_value(field, shown or "", email, requests)
                        for field, shown in form["fields"].items() if field != "csrf_token"}
                data[name] = payload
                if form["method"] == "post":
                    response = sender.post(form["action"], data=data)
                else:
                    response = sender.get(urlsplit(form["action"]).path, query_string=data)
                if response.status_code >= 500 or (XSS in payload and XSS in response.get_data(as_text=True)):
                    failures.append((response.status_code, form["method"], form["action"], name,
                                     payload[:20]))
                if response.status_code == 302 and who == "visitor":
                    client.post("/auth/logout")  # registered or logged in: a visitor again
                elif response.status_code == 302 and "/login" in response.headers["Location"]:
                    log_in(shopper, user)  # a form logged the shopper out
    assert not failures, failures
    assert requests > 300
    assert_invariants(database)


def test_every_text_field_of_every_form_refuses_what_the_database_cannot_store():
    """New forms get the check by using the fields of app/forms/fields.py;
    this finds one that reads text through a plain WTForms field."""
    checked = 0
    for module in pkgutil.iter_modules(app.forms.__path__):
        forms = importlib.import_module(f"app.forms.{module.name}")
        for form in vars(forms).values():
            if not (isinstance(form, type) and issubclass(form, Form)):
                continue
            for name in dir(form):
                field = getattr(form, name)
                if isinstance(field, UnboundField) and issubclass(field.field_class, StringField):
                    assert issubclass(field.field_class, StorableText), (form.__name__, name)
                    checked += 1
    assert checked > 20


def test_nul_in_a_form_is_a_field_error_not_a_500(client, user_client):
    response = client.post("/auth/login", data={"email": "a\x00@example.com", "password": "whatever-1"})
    assert response.status_code == 400 and "not allowed (a NUL byte)" in response.get_data(as_text=True)
    response = client.post("/auth/register", data={
        "email": "new@example.com", "first_name": "N\x00", "last_name": "Ew", "address": "",
        "password": "long-enough-1", "confirm": "long-enough-1"})
    assert response.status_code == 400 and "not allowed (a NUL byte)" in response.get_data(as_text=True)
    logged_in, user = user_client()
    response = logged_in.post("/account/edit", data={"email": user.email, "first_name": "Zed",
                                                     "last_name": "Z", "address": "1\x00 Road"})
    assert response.status_code == 400 and "not allowed (a NUL byte)" in response.get_data(as_text=True)
    assert "Zed" not in logged_in.get("/account/").get_data(as_text=True)  # nothing half-saved
