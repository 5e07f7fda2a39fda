"""The operator console: who may see it, each action through HTTP with its
audit row, and bad input on every form."""
import re

import psycopg2
import pytest
from werkzeug.routing import Rule

from app import db
from app.models.audit import Actor
from tests.support import log_in
from tests.support.catalog import rows, value
from tests.support.purchases import make_purchase

REASON = "Counterfeit goods reported by three buyers"


def console_urls(app) -> list[tuple[str, str]]:
    """(method, url) of every rule of every console blueprint, with ids filled in."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("ops_"):
            continue
        values = {name: 1 for name in rule.arguments}
        values.update({"action": _first_choice(rule, "action"), "kind": _first_choice(rule, "kind")})
        url = rule.build({k: v for k, v in values.items() if k in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url))
    return found


def _first_choice(rule: Rule, name: str):
    converter = rule._converters.get(name)
    return sorted(converter.items)[0] if converter is not None and hasattr(converter, "items") else None


def test_the_console_has_rules_for_every_area(app):
    prefixes = {url.split("/")[2] for _, url in console_urls(app) if url.count("/") > 2}
    assert {"users", "products", "reviews", "categories", "orders", "sales", "audit"} <= prefixes


@pytest.mark.parametrize("who", ["guest", "shopper", "suspended operator"])
def test_every_console_route_is_not_found_for_anyone_but_operators(app, client, make_user, who):
    if who != "guest":
        user = make_user()
        if who == "suspended operator":
            with app.app_context():
                db.execute("UPDATE users SET is_operator = true, suspended_at = now() WHERE id = %s",
                           (user.id,))
        log_in(client, user)
    urls = console_urls(app)
    assert len(urls) >= 15
    for method, url in urls:
        response = client.open(url, method=method, data={"reason": REASON})
        assert response.status_code == 404, (method, url, response.status_code)
    with app.app_context():
        assert value(app, "SELECT count(*) FROM audit_log") == 0


def test_every_console_page_opens_for_an_operator(app, operator_client):
    client, _ = operator_client
    for method, url in console_urls(app):
        if method == "GET":
            response = client.get(url)
            assert response.status_code in (200, 404), (url, response.status_code)
    assert client.get("/ops/").status_code == 200
    assert "Console" in client.get("/").get_data(as_text=True)


def test_console_posts_need_a_csrf_token(app, operator_client, make_user):
    client, _ = operator_client
    target = make_user()
    response = client.post(f"/ops/users/{target.id}/suspend", data={"reason": REASON}, csrf=False)
    assert response.status_code == 400
    assert value(app, "SELECT suspended_at FROM users WHERE id = %s", (target.id,)) is None


def test_suspending_a_seller_hides_their_offers_everywhere_and_their_cart_lines_fail(
        app, operator_client, user_client, make_user, make_offer):
    client, operator = operator_client
    seller = make_user(first_name="Mallory")
    offer = make_offer(seller=seller, name="Suspicious watch", price="20.00")
    other = make_offer(name="Honest watch", product_id=offer["product_id"], price="30.00")
    buyer_client, _ = user_client(balance="100")
    buyer_client.post("/cart/add", data={"offer_id": str(offer["offer_id"]), "quantity": "1"})
    assert "20.00" in client.get(f"/products/{offer['product_id']}").get_data(as_text=True)

    response = client.post(f"/ops/users/{seller.id}/suspend", data={"reason": REASON})
    assert response.status_code == 302
    assert "suspended" in client.get(response.location).get_data(as_text=True)
    audit = rows(app, "SELECT actor_id, action, subject_kind, subject_id, reason FROM audit_log")
    assert audit == [{"actor_id": operator.id, "action": "suspend_user", "subject_kind": "user",
                      "subject_id": seller.id, "reason": REASON}]

    shop = app.test_client()
    product_page = shop.get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert "30.00" in product_page and "20.00" not in product_page
    search = shop.get("/search?q=watch&sort=price_asc").get_data(as_text=True)
    assert "30.00" in search and "20.00" not in search
    api = shop.get(f"/api/v1/products/{offer['product_id']}").get_json()
    assert [o["id"] for o in api["offers"]] == [other["offer_id"]]
    assert shop.get(f"/users/{seller.id}").get_data(as_text=True).count("Suspicious watch") == 0

    review = buyer_client.get("/checkout")
    assert "account is suspended, so this offer cannot be bought" in review.get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"', review.get_data(as_text=True))
    placed = buyer_client.post("/checkout", data={"idempotency_key": key.group(1)})
    assert placed.status_code == 409
    assert "account is suspended, so this offer cannot be bought" in placed.get_data(as_text=True)

    seller_client = app.test_client()
    log_in(seller_client, seller)
    assert seller_client.get("/sell/inventory/new").status_code == 403
    withdraw = seller_client.post("/account/withdraw", data={"withdraw-amount": "1"})
    assert withdraw.status_code == 403 and "suspended" in withdraw.get_data(as_text=True)
    assert value(app, "SELECT count(*) FROM notifications WHERE user_id = %s", (seller.id,)) == 1

    assert client.post(f"/ops/users/{seller.id}/reinstate", data={"reason": "Cleared"}).status_code == 302
    assert "20.00" in shop.get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert value(app, "SELECT count(*) FROM audit_log WHERE action = 'reinstate_user'") == 1


def test_a_second_suspension_is_not_recorded_twice(app, operator_client, make_user):
    client, _ = operator_client
    target = make_user()
    for _ in range(2):
        client.post(f"/ops/users/{target.id}/suspend", data={"reason": REASON})
    assert value(app, "SELECT count(*) FROM audit_log") == 1


def test_operators_grant_and_revoke_the_role_but_not_their_own(app, operator_client, make_user):
    client, operator = operator_client
    target = make_user()
    granted = client.post(f"/ops/users/{target.id}/grant-operator", data={"reason": "New hire"})
    assert granted.status_code == 302
    assert value(app, "SELECT is_operator FROM users WHERE id = %s", (target.id,)) is True
    assert client.post(f"/ops/users/{target.id}/revoke-operator", data={"reason": "Left"}).status_code == 302
    assert value(app, "SELECT is_operator FROM users WHERE id = %s", (target.id,)) is False
    own = client.post(f"/ops/users/{operator.id}/revoke-operator", data={"reason": "Oops"},
                      follow_redirects=True)
    assert "cannot remove your own operator role" in own.get_data(as_text=True)
    assert [r["action"] for r in rows(app, "SELECT action FROM audit_log ORDER BY id")] == [
        "grant_operator", "revoke_operator"]


def test_hiding_a_product_takes_it_out_of_the_shop_and_tells_its_creator(app, operator_client, make_offer):
    client, _ = operator_client
    offer = make_offer(name="Fake sneakers")
    url = f"/ops/products/{offer['product_id']}"
    assert client.post(f"{url}/hide", data={"reason": REASON}).status_code == 302
    shop = app.test_client()
    assert shop.get(f"/products/{offer['product_id']}").status_code == 404
    assert "Fake sneakers" not in shop.get("/search?q=sneakers").get_data(as_text=True)
    assert shop.get(f"/api/v1/products/{offer['product_id']}").status_code == 404
    notice = rows(app, "SELECT user_id, body FROM notifications")
    assert notice[0]["user_id"] == offer["seller_id"] and REASON in notice[0]["body"]
    assert client.post(f"{url}/restore", data={"reason": "Proved genuine"}).status_code == 302
    assert shop.get(f"/products/{offer['product_id']}").status_code == 200
    assert [r["action"] for r in rows(app, "SELECT action FROM audit_log ORDER BY id")] == [
        "hide_product", "restore_product"]


def test_hiding_one_offer_keeps_the_sellers_wish_for_when_it_is_restored(app, operator_client, make_offer):
    client, _ = operator_client
    offer = make_offer(price="12.00")
    url = f"/ops/products/{offer['product_id']}/offers/{offer['offer_id']}"
    assert client.post(f"{url}/hide", data={"reason": REASON}).status_code == 302
    assert value(app, "SELECT min_price FROM products WHERE id = %s", (offer["product_id"],)) is None
    # The seller offering again does not bring a hidden offer back.
    with app.app_context():
        db.execute("UPDATE offers SET active = true WHERE id = %s", (offer["offer_id"],))
    assert value(app, "SELECT active FROM offers WHERE id = %s", (offer["offer_id"],)) is False
    assert client.post(f"{url}/restore", data={"reason": "Fixed"}).status_code == 302
    restored = value(app, "SELECT min_price FROM products WHERE id = %s", (offer["product_id"],))
    assert restored == offer["price"]
    audit = rows(app, "SELECT action, subject_kind, subject_id, reason FROM audit_log ORDER BY id")
    assert audit == [{"action": "hide_offer", "subject_kind": "offer", "subject_id": offer["offer_id"],
                      "reason": REASON},
                     {"action": "restore_offer", "subject_kind": "offer", "subject_id": offer["offer_id"],
                      "reason": "Fixed"}]


def test_hiding_a_review_takes_it_out_of_the_rating_and_shows_the_author_why(
        app, operator_client, user_client, make_offer):
    client, _ = operator_client
    author_client, author = user_client()
    offer = make_offer()
    make_purchase(app, author, [(offer, 1)])
    author_client.post(f"/reviews/product/{offer['product_id']}/new",
                       data={"review-rating": "1", "review-body": "Rubbish!!"})
    review_id = value(app, "SELECT id FROM product_reviews")
    assert review_id is not None
    response = client.post(f"/ops/reviews/product/{review_id}/hide", data={"reason": "Abusive language"})
    assert response.status_code == 302
    assert value(app, "SELECT rating_count FROM products WHERE id = %s", (offer["product_id"],)) == 0
    assert "Rubbish" not in app.test_client().get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert "Hidden by the marketplace: Abusive language" in author_client.get("/account/reviews").get_data(
        as_text=True)
    client.post(f"/ops/reviews/product/{review_id}/restore", data={"reason": "On appeal"})
    assert value(app, "SELECT rating_count FROM products WHERE id = %s", (offer["product_id"],)) == 1
    assert value(app, "SELECT count(*) FROM audit_log WHERE subject_kind = 'product_review'") == 2


def test_categories_are_added_renamed_and_merged(app, operator_client, make_offer):
    client, _ = operator_client
    response = client.post("/ops/categories/", data={"name": "Garden Tools", "slug": ""})
    assert response.status_code == 302
    garden = value(app, "SELECT id FROM categories WHERE slug = 'garden-tools'")
    offer = make_offer(category="Yard")
    yard = value(app, "SELECT category_id FROM products WHERE id = %s", (offer["product_id"],))
    renamed = client.post(f"/ops/categories/{garden}/rename",
                          data={"name": "Garden", "slug": "garden", "reason": "Shorter"})
    assert renamed.status_code == 302
    assert app.test_client().get("/c/garden").status_code == 200
    merged = client.post(f"/ops/categories/{yard}/merge", data={"into": str(garden), "reason": "Duplicates"})
    assert merged.status_code == 302
    assert value(app, "SELECT category_id FROM products WHERE id = %s", (offer["product_id"],)) == garden
    assert value(app, "SELECT count(*) FROM categories WHERE id = %s", (yard,)) == 0
    assert [r["action"] for r in rows(app, "SELECT action FROM audit_log ORDER BY id")] == [
        "add_category", "rename_category", "merge_category"]


def test_an_operator_ends_a_flash_sale_early(app, operator_client, make_offer):
    client, _ = operator_client
    offer = make_offer(price="50.00", quantity=10)
    with app.app_context():
        sale_id = db.query_value(
            """INSERT INTO flash_sales
                   (offer_id, sale_price, starts_at, ends_at, units_total, per_customer_limit)
               VALUES (%s, 25, now() - interval '1 hour', now() + interval '1 hour', 5, 1) RETURNING id""",
            (offer["offer_id"],))
    assert f"#{sale_id}" in client.get("/ops/sales/").get_data(as_text=True)
    assert client.post(f"/ops/sales/{sale_id}/end", data={"reason": "Pricing error"}).status_code == 302
    assert value(app, "SELECT ends_at <= now() FROM flash_sales WHERE id = %s", (sale_id,)) is True
    assert value(app, "SELECT count(*) FROM audit_log WHERE action = 'end_sale'") == 1


def test_orders_are_found_by_number_and_by_email(app, operator_client, make_user, make_offer):
    client, _ = operator_client
    buyer = make_user(email="buyer@example.com")
    make_purchase(app, buyer, [(make_offer(), 1)])
    order_id = value(app, "SELECT id FROM orders")
    assert f"#{order_id}" in client.get(f"/ops/orders/?q={order_id}").get_data(as_text=True)
    assert f"#{order_id}" in client.get("/ops/orders/?q=BUYER@example.com").get_data(as_text=True)
    assert client.get("/ops/orders/?q=nobody@example.com").status_code == 404


def test_the_audit_log_is_searchable_and_cannot_be_changed(app, database, operator_client, make_user):
    client, operator = operator_client
    target = make_user()
    client.post(f"/ops/users/{target.id}/suspend", data={"reason": REASON})
    page = client.get(f"/ops/audit/?action=suspend_user&subject_kind=user&subject_id={target.id}")
    assert REASON in page.get_data(as_text=True)
    assert REASON not in client.get("/ops/audit/?action=hide_offer").get_data(as_text=True)
    conn = psycopg2.connect(database)
    try:
        for statement in ("UPDATE audit_log SET reason = 'nothing'", "DELETE FROM audit_log"):
            with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn, conn.cursor() as cur:
                cur.execute(statement)
    finally:
        conn.close()
    assert value(app, "SELECT reason FROM audit_log") == REASON


BAD_REASONS = ["", "  ", "\x00\x00\x00", "x" * 5000]


@pytest.mark.parametrize("reason", BAD_REASONS)
def test_bad_reasons_on_every_action_form_get_a_message_and_change_nothing(app, operator_client, make_user,
                                                                           make_offer, reason):
    client, _ = operator_client
    offer = make_offer()
    target = make_user()
    urls = [f"/ops/users/{target.id}/suspend", f"/ops/users/{target.id}/grant-operator",
            f"/ops/products/{offer['product_id']}/hide",
            f"/ops/products/{offer['product_id']}/offers/{offer['offer_id']}/hide"]
    for url in urls:
        response = client.post(url, data={"reason": reason})
        assert response.status_code == 400, url
        page = response.get_data(as_text=True)
        # Empty, too long, or text the database cannot store (NUL).
        assert any(message in page for message in ("Say why", "Between 3", "not allowed")), url
    assert value(app, "SELECT count(*) FROM audit_log") == 0


@pytest.mark.parametrize("reason", BAD_REASONS)
def test_bad_reasons_on_the_other_action_forms_get_a_message_and_change_nothing(
        app, operator_client, user_client, make_user, make_offer, reason):
    """Restoring, reinstating, revoking, reviews, flash sales, categories
    and refunds: each form with a reason refuses a bad one."""
    client, _ = operator_client
    author_client, author = user_client()
    offer = make_offer(category="Lamps")
    make_purchase(app, author, [(offer, 1)])
    author_client.post(f"/reviews/product/{offer['product_id']}/new",
                       data={"review-rating": "4", "review-body": "Fine lamp"})
    with app.app_context():
        db.execute("UPDATE users SET suspended_at = now(), suspension_reason = 'x', is_operator = true "
                   "WHERE id = %s", (author.id,))
        db.execute("UPDATE products SET hidden_reason = 'x' WHERE id = %s", (offer["product_id"],))
        db.execute("UPDATE offers SET hidden_reason = 'x' WHERE id = %s", (offer["offer_id"],))
        sale = db.query_value(
            """INSERT INTO flash_sales
                   (offer_id, sale_price, starts_at, ends_at, units_total, per_customer_limit)
               VALUES (%s, 5, now(), now() + interval '1 hour', 2, 1) RETURNING id""", (offer["offer_id"],))
    review = value(app, "SELECT id FROM product_reviews")
    lamps = value(app, "SELECT id FROM categories WHERE slug = 'lamps'")
    other = make_offer(category="Bulbs")
    bulbs = value(app, "SELECT category_id FROM products WHERE id = %s", (other["product_id"],))
    order, line = value(app, "SELECT (order_id, id)::text FROM order_lines").strip("()").split(",")
    product = f"/ops/products/{offer['product_id']}"
    forms = {f"/ops/users/{author.id}/reinstate": {}, f"/ops/users/{author.id}/revoke-operator": {},
             f"{product}/restore": {}, f"{product}/offers/{offer['offer_id']}/restore": {},
             f"/ops/reviews/product/{review}/hide": {}, f"/ops/sales/{sale}/end": {},
             f"/ops/categories/{lamps}/rename": {"name": "Lights", "slug": ""},
             f"/ops/categories/{lamps}/merge": {"into": str(bulbs)},
             f"/ops/orders/{order}/refund": {"key": "abc123", f"line-{line}": "1"},
             f"/ops/orders/{order}/refund-all": {"key": "abc123"}}
    for url, data in forms.items():
        response = client.post(url, data={**data, "reason": reason})
        assert response.status_code == 400, url
        page = response.get_data(as_text=True)
        assert any(message in page for message in ("Say why", "Between 3", "not allowed")), url
    assert value(app, "SELECT count(*) FROM audit_log") == 0
    assert value(app, "SELECT count(*) FROM categories") == 2
    assert value(app, "SELECT ends_at > now() FROM flash_sales") is True


def test_unknown_and_huge_ids_are_not_found(app, operator_client):
    client, _ = operator_client
    for url in ("/ops/users/999999/suspend", "/ops/products/999999/hide", "/ops/sales/999999/end",
                "/ops/products/1/offers/999999/hide", "/ops/reviews/seller/999999/hide",
                "/ops/categories/999999/rename", "/ops/categories/999999/merge"):
        assert client.post(url, data={"reason": REASON, "name": "X", "into": "1"}).status_code == 404, url
    assert client.get("/ops/users/99999999999999999999999").status_code == 404
    assert client.get("/ops/products/?id=abc").status_code == 400
    assert client.get("/ops/products/?id=99999999999999999999999").status_code == 400
    assert client.get("/ops/audit/?subject_id=-1").status_code == 400
    assert client.get("/ops/audit/?action=drop_table").status_code == 400
    assert client.get("/ops/users/?q=" + "a" * 500).status_code == 400
    assert client.get("/ops/orders/?q=" + "a" * 500).status_code == 400
    assert client.get("/ops/users/?q=%00%25_").status_code == 200


def test_bad_category_input_gets_a_message(app, operator_client, make_offer):
    client, _ = operator_client
    make_offer(category="Books")
    books = value(app, "SELECT id FROM categories")
    for data in ({"name": "", "slug": ""}, {"name": "\x00", "slug": ""}, {"name": "x" * 101, "slug": ""},
                 {"name": "Fine", "slug": "Not A Slug"}, {"name": "Books", "slug": ""},
                 {"name": "!!!", "slug": ""}):
        assert client.post("/ops/categories/", data=data).status_code == 400, data
    into_itself = client.post(f"/ops/categories/{books}/merge", data={"into": str(books), "reason": "Same"})
    assert into_itself.status_code == 400
    unknown = client.post(f"/ops/categories/{books}/merge", data={"into": "999999", "reason": "Gone"})
    assert unknown.status_code == 400
    with app.app_context():
        with pytest.raises(Exception, match="into itself"):
            from app.models import category
            category.merge_categories(Actor(None, "tests"), books, books, "same")
    assert value(app, "SELECT count(*) FROM categories") == 1
    assert value(app, "SELECT count(*) FROM audit_log") == 0


def test_make_operator_from_the_command_line(app, make_user):
    user = make_user(email="first@example.com")
    runner = app.test_cli_runner()
    from app.__main__ import cli
    result = runner.invoke(cli, ["make-operator", "FIRST@example.com"])
    assert result.exit_code == 0, result.output
    assert "now an operator" in result.output
    assert value(app, "SELECT is_operator FROM users WHERE id = %s", (user.id,)) is True
    assert value(app, "SELECT actor_id IS NULL AND actor_label LIKE 'command line%%' FROM audit_log") is True
    assert runner.invoke(cli, ["make-operator", "nobody@example.com"]).exit_code == 1
