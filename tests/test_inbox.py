"""The inbox: notify() inside a caller's transaction, the inbox page, the
unread count in the header, owner checks, CSRF and bad input."""
import re

import pytest

from app import db
from app.models import notification as notifications


def notify(app, user, kind="order_shipped", subject="Your order #7 has shipped", body="Tracking: AB123",
           link="/purchases/7") -> int:
    with app.app_context():
        return notifications.notify(user.id, kind, subject, body, link)


def notice_ids(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'href="/inbox/(\d+)"', page)]


def header_count(page: str) -> str | None:
    match = re.search(r'href="/inbox/">Inbox(?: \(([^<]+)<span class="sr"> unread</span>\))?</a>', page)
    assert match, "the header has no inbox link"
    return match.group(1)


def test_notify_joins_the_callers_transaction(app, make_user):
    user = make_user()
    with app.app_context():
        with pytest.raises(RuntimeError), db.transaction():
            notifications.notify(user.id, "order_placed", "Order #1 placed", "")
            raise RuntimeError("the order change failed")
        assert db.query_value("SELECT count(*) FROM notifications") == 0
        with db.transaction():
            notifications.notify(user.id, "order_placed", "Order #1 placed", "")
        row = db.query_one("SELECT user_id, email_state, read_at FROM notifications")
    assert row == {"user_id": user.id, "email_state": "pending", "read_at": None}


def test_notify_cleans_nul_and_huge_text_instead_of_failing_the_order(app, make_user):
    user = make_user()
    nid = notify(app, user, subject="Bad\x00name " + "x" * 5000, body="b\x00" * 10_000)
    with app.app_context():
        row = db.query_one("SELECT subject, body FROM notifications WHERE id = %s", (nid,))
    assert "\x00" not in row["subject"] + row["body"]
    assert row["subject"].startswith("Badname ") and len(row["subject"]) == notifications.SUBJECT_MAX
    assert len(row["body"]) == notifications.BODY_MAX


@pytest.mark.parametrize("link", ["//evil.example/x", "https://evil.example", "/\\evil.example",
                                  "javascript:x", "/a b", "/" + "x" * 600])
def test_notify_refuses_links_outside_the_site(app, make_user, link):
    user = make_user()
    with app.app_context(), pytest.raises(ValueError):
        notifications.notify(user.id, "order_placed", "s", "b", link)


def test_notify_refuses_unknown_kinds(app, make_user):
    user = make_user()
    with app.app_context(), pytest.raises(ValueError):
        notifications.notify(user.id, "order_exploded", "s", "b")


def test_inbox_needs_login(client):
    response = client.get("/inbox/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_inbox_lists_newest_first_and_paginates(app, user_client):
    client, user = user_client()
    ids = [notify(app, user, subject=f"Notice {i}") for i in range(23)]
    first = client.get("/inbox/").get_data(as_text=True)
    assert notice_ids(first) == ids[::-1][:20] and 'rel="next"' in first
    second = client.get("/inbox/?page=2").get_data(as_text=True)
    assert notice_ids(second) == ids[::-1][20:] and 'rel="prev"' in second
    assert "There are no more notices" in client.get("/inbox/?page=3").get_data(as_text=True)
    for bad in ("0", "-1", "x", "\x00", "9" * 40):
        assert client.get("/inbox/", query_string={"page": bad}).status_code == 400


def test_unread_count_in_the_header_on_both_sides(app, user_client):
    client, user = user_client()
    assert header_count(client.get("/").get_data(as_text=True)) is None
    notify(app, user)
    notify(app, user)
    assert header_count(client.get("/").get_data(as_text=True)) == "2"
    selling = client.get("/sell/sales/", follow_redirects=True).get_data(as_text=True)
    assert "<strong>Selling</strong>" in selling and header_count(selling) == "2"


def test_unread_count_stops_at_99_plus(app, user_client):
    client, user = user_client()
    with app.app_context():
        db.execute("""INSERT INTO notifications (user_id, kind, subject)
                      SELECT %s, 'order_placed', 'n' || i FROM generate_series(1, 150) i""", (user.id,))
    assert header_count(client.get("/").get_data(as_text=True)) == "99+"


def test_opening_a_notice_marks_it_read_and_follows_its_link(app, user_client):
    client, user = user_client()
    linked = notify(app, user, link="/purchases/7")
    plain = notify(app, user, subject="Sale sold out", body="All 10 units sold.", link=None)
    page = client.get("/inbox/").get_data(as_text=True)
    assert page.count('class="notice unread"') == 2 and header_count(page) == "2"
    response = client.get(f"/inbox/{linked}")
    assert response.status_code == 303 and response.headers["Location"] == "/purchases/7"
    shown = client.get(f"/inbox/{plain}")
    assert shown.status_code == 200 and "All 10 units sold." in shown.get_data(as_text=True)
    page = client.get("/inbox/").get_data(as_text=True)
    assert 'class="notice unread"' not in page and header_count(page) is None
    with app.app_context():
        first_read = db.query_value("SELECT read_at FROM notifications WHERE id = %s", (linked,))
        client.get(f"/inbox/{linked}")
        assert db.query_value("SELECT read_at FROM notifications WHERE id = %s", (linked,)) == first_read


def test_mark_one_read(app, user_client):
    client, user = user_client()
    first, second = notify(app, user), notify(app, user)
    response = client.post(f"/inbox/{first}/read", data={"page": "1"})
    assert response.status_code == 303 and response.headers["Location"] == "/inbox/"
    with app.app_context():
        unread = db.query("SELECT id FROM notifications WHERE read_at IS NULL")
    assert unread == [{"id": second}]


def test_mark_all_read_leaves_notices_that_arrived_after_the_page(app, user_client):
    client, user = user_client()
    shown = [notify(app, user) for _ in range(3)]
    page = client.get("/inbox/").get_data(as_text=True)
    up_to = re.search(r'name="up_to" value="(\d+)"', page).group(1)
    late = notify(app, user, subject="Arrived while reading")
    response = client.post("/inbox/read-all", data={"up_to": up_to, "page": "1"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "Marked 3 notices as read." in text and header_count(text) == "1"
    with app.app_context():
        unread = [row["id"] for row in db.query("SELECT id FROM notifications WHERE read_at IS NULL")]
    assert unread == [late] and late not in shown
    again = client.post("/inbox/read-all", data={"up_to": up_to}, follow_redirects=True)
    assert "Everything was already read." in again.get_data(as_text=True)


def test_one_user_cannot_read_or_mark_anothers_notices(app, user_client):
    owner_client, owner = user_client()
    other_client, _ = user_client()
    nid = notify(app, owner, subject="Private subject for the owner")
    assert "Private subject" not in other_client.get("/inbox/").get_data(as_text=True)
    assert other_client.get(f"/inbox/{nid}").status_code == 404
    assert other_client.post(f"/inbox/{nid}/read").status_code == 404
    other_client.post("/inbox/read-all", data={"up_to": str(nid)})
    with app.app_context():
        assert db.query_value("SELECT read_at FROM notifications WHERE id = %s", (nid,)) is None
    assert header_count(owner_client.get("/").get_data(as_text=True)) == "1"


def test_posts_need_a_csrf_token(app, user_client):
    client, user = user_client()
    nid = notify(app, user)
    assert client.post(f"/inbox/{nid}/read", csrf=False).status_code == 400
    assert client.post("/inbox/read-all", csrf=False).status_code == 400
    with app.app_context():
        assert db.query_value("SELECT read_at FROM notifications WHERE id = %s", (nid,)) is None


@pytest.mark.parametrize("value", ["x", "\x00", "-5", "0", "9" * 30, "1.5"])
def test_tampered_hidden_fields_get_a_clear_400(app, user_client, value):
    client, user = user_client()
    nid = notify(app, user)
    for data in ({"up_to": value}, {"page": value}):
        response = client.post("/inbox/read-all", data=data)
        assert response.status_code == 400 and "Reload your inbox" in response.get_data(as_text=True)
    assert client.post(f"/inbox/{nid}/read", data={"page": value}).status_code == 400


@pytest.mark.parametrize("path", ["/inbox/0", "/inbox/99999999999999999999999", "/inbox/abc",
                                  "/inbox/123456"])
def test_unknown_notices_are_not_found(user_client, path):
    client, _ = user_client()
    assert client.get(path).status_code == 404
