"""Reviews through HTTP: the verified-purchase rule, one review per author,
ownership, bad input, the product page and user page sections, and rating
aggregates that always equal the truth computed from the review rows."""
import threading

import pytest

from app import db
from tests.support import make_purchase


@pytest.fixture
def bought(app, make_offer, user_client):
    """A product someone bought: returns (client logged in as the buyer, buyer, offer)."""

    def make(offer=None, **user):
        offer = offer or make_offer(name="Cast iron pan")
        client, buyer = user_client(**user)
        make_purchase(app, buyer, [(offer, 1)])
        return client, buyer, offer

    return make


def review(client, product_id, rating="4", body="Heavy and even heat.", title="Solid pan", **extra):
    return client.post(f"/reviews/product/{product_id}/new",
                       data={"review-rating": rating, "review-title": title, "review-body": body}, **extra)


def product_aggregates(app, product_id) -> dict:
    with app.app_context():
        return db.query_one("SELECT rating_count, rating_sum, rating_hist FROM products WHERE id = %s",
                            (product_id,))


def assert_aggregates_true(app, product_id=None, seller_id=None):
    """The stored count, sum and histogram equal those of the review rows."""
    with app.app_context():
        if product_id is not None:
            stored = db.query_one("SELECT rating_count AS n, rating_sum AS s, rating_hist AS h "
                                  "FROM products WHERE id = %s", (product_id,))
            rows = db.query("SELECT rating FROM product_reviews WHERE product_id = %s", (product_id,))
        else:
            stored = db.query_one("SELECT seller_rating_count AS n, seller_rating_sum AS s, "
                                  "seller_rating_hist AS h FROM users WHERE id = %s", (seller_id,))
            rows = db.query("SELECT rating FROM seller_reviews WHERE seller_id = %s", (seller_id,))
    ratings = [row["rating"] for row in rows]
    assert stored == {"n": len(ratings), "s": sum(ratings), "h": [ratings.count(i) for i in range(1, 6)]}


def review_ids(app, table="product_reviews") -> list[int]:
    with app.app_context():
        return [row["id"] for row in db.query(f"SELECT id FROM {table} ORDER BY id")]


# --- writing -------------------------------------------------------------------

def test_buyer_reviews_product_and_page_shows_average(app, bought):
    client, buyer, offer = bought()
    page = client.get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert "Write a review" in page and "No ratings yet" in page

    response = review(client, offer["product_id"], rating="4")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/products/{offer['product_id']}#reviews")
    page = client.get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert "★ 4.0" in page and "1 rating" in page and "Verified purchase" in page
    assert "Solid pan" in page and "Heavy and even heat." in page
    assert "Edit your review" in page and "Write a review" not in page
    assert product_aggregates(app, offer["product_id"]) == {
        "rating_count": 1, "rating_sum": 4, "rating_hist": [0, 0, 0, 1, 0]}

    other_client, _, _ = bought(offer=offer)
    review(other_client, offer["product_id"], rating="1", body="Rusted at once.")
    page = client.get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert "★ 2.5" in page and "2 ratings" in page
    assert_aggregates_true(app, product_id=offer["product_id"])


def test_only_buyers_may_review(app, make_offer, user_client, client):
    offer = make_offer()
    stranger_client, _ = user_client()
    page = stranger_client.get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert "Only buyers of this product can review it." in page and "Write a review" not in page
    response = stranger_client.get(f"/reviews/product/{offer['product_id']}/new")
    assert response.status_code == 403 and "Only buyers who bought this product" in response.get_data(True)
    response = review(stranger_client, offer["product_id"])
    assert response.status_code == 403
    # Buying another product does not count.
    other = make_offer(name="Other thing")
    other_client, other_buyer = user_client()
    make_purchase(app, other_buyer, [(other, 2)])
    assert review(other_client, offer["product_id"]).status_code == 403
    # Guests are sent to log in.
    guest_page = client.get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert "Log in</a> to review" in guest_page
    response = review(client, offer["product_id"])
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert review_ids(app) == []
    assert_aggregates_true(app, product_id=offer["product_id"])


def test_unknown_product_is_404(bought):
    client, _, _ = bought()
    assert client.get("/reviews/product/999999/new").status_code == 404
    assert review(client, 999999).status_code == 404
    assert client.get(f"/reviews/product/{2**70}/new").status_code == 404


@pytest.mark.parametrize("rating", ["0", "6", "abc", "", "4.5", "-1"])
def test_rating_must_be_1_to_5(app, bought, rating):
    client, _, offer = bought()
    response = review(client, offer["product_id"], rating=rating)
    assert response.status_code == 400
    assert "Choose a rating from 1 to 5 stars." in response.get_data(as_text=True)
    assert review_ids(app) == []


@pytest.mark.parametrize("body, message", [
    ("", "Write a few words about it."),
    ("   \n ", "Write a few words about it."),
    ("x" * 20_000, "At most 5,000 characters."),
])
def test_review_text_rules(app, bought, body, message):
    client, _, offer = bought()
    response = review(client, offer["product_id"], body=body)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert review_ids(app) == []


def test_long_title_and_nul_characters(app, bought):
    client, _, offer = bought()
    response = review(client, offer["product_id"], title="t" * 201)
    assert response.status_code == 400 and "At most 200 characters." in response.get_data(as_text=True)
    assert review(client, offer["product_id"], body="Nice\x00 pan").status_code == 302
    with app.app_context():
        assert db.query_value("SELECT body FROM product_reviews") == "Nice pan"


def test_second_review_is_refused(app, bought):
    client, _, offer = bought()
    assert review(client, offer["product_id"], rating="5").status_code == 302
    response = review(client, offer["product_id"], rating="1")
    assert response.status_code == 302 and "/edit" in response.headers["Location"]
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You have already reviewed this product" in follow
    assert len(review_ids(app)) == 1
    assert product_aggregates(app, offer["product_id"])["rating_sum"] == 5


def test_html_in_a_review_is_shown_escaped(bought):
    client, _, offer = bought()
    review(client, offer["product_id"], title="<b>bold</b>", body="<script>alert('x')</script>")
    page = client.get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(" in page
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page


def test_csrf_token_required(app, bought):
    client, _, offer = bought()
    assert review(client, offer["product_id"], csrf=False).status_code == 400
    assert review_ids(app) == []


# --- edit and delete -----------------------------------------------------------

def test_edit_and_delete_keep_aggregates_true(app, make_offer, bought):
    offer = make_offer()
    clients = []
    for rating in ("5", "3", "1"):
        client, _, _ = bought(offer=offer)
        assert review(client, offer["product_id"], rating=rating).status_code == 302
        clients.append(client)
        assert_aggregates_true(app, product_id=offer["product_id"])
    first, second, third = review_ids(app)

    response = clients[1].get(f"/reviews/product/{second}/edit")
    assert response.status_code == 200 and "Edit your review" in response.get_data(as_text=True)
    response = clients[1].post(f"/reviews/product/{second}/edit",
                               data={"review-rating": "4", "review-title": "", "review-body": "Better now."})
    assert response.status_code == 302
    assert product_aggregates(app, offer["product_id"]) == {
        "rating_count": 3, "rating_sum": 10, "rating_hist": [1, 0, 0, 1, 1]}
    assert_aggregates_true(app, product_id=offer["product_id"])
    page = clients[1].get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert "Better now." in page and "edited" in page

    # A bad edit changes nothing.
    response = clients[1].post(f"/reviews/product/{second}/edit",
                               data={"review-rating": "9", "review-body": "x"})
    assert response.status_code == 400 and "Choose a rating" in response.get_data(as_text=True)

    assert clients[2].post(f"/reviews/product/{third}/delete").status_code == 302
    assert review_ids(app) == [first, second]
    assert product_aggregates(app, offer["product_id"]) == {
        "rating_count": 2, "rating_sum": 9, "rating_hist": [0, 0, 0, 1, 1]}
    assert_aggregates_true(app, product_id=offer["product_id"])
    # Having deleted it, the buyer may write a new one.
    page = clients[2].get(f"/products/{offer['product_id']}").get_data(as_text=True)
    assert "Write a review" in page


def test_other_users_review_cannot_be_changed(app, bought, user_client):
    client, _, offer = bought()
    review(client, offer["product_id"], rating="5", body="Mine.")
    [review_id] = review_ids(app)
    intruder, _ = user_client()
    assert intruder.get(f"/reviews/product/{review_id}/edit").status_code == 403
    response = intruder.post(f"/reviews/product/{review_id}/edit",
                             data={"review-rating": "1", "review-body": "Hacked."})
    assert response.status_code == 403
    assert intruder.post(f"/reviews/product/{review_id}/delete").status_code == 403
    assert intruder.post("/reviews/product/999999/delete").status_code == 404
    assert intruder.get("/reviews/product/999999/edit").status_code == 404
    assert intruder.post(f"/reviews/seller/{review_id}/delete").status_code == 404
    with app.app_context():
        assert db.query_one("SELECT rating, body FROM product_reviews") == {"rating": 5, "body": "Mine."}
    assert_aggregates_true(app, product_id=offer["product_id"])


def test_concurrent_reviews_keep_aggregates_exact(app, make_offer, bought):
    offer = make_offer()
    clients = [bought(offer=offer)[0] for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    statuses = []

    def write(client, rating):
        barrier.wait()
        statuses.append(review(client, offer["product_id"], rating=str(rating)).status_code)

    threads = [threading.Thread(target=write, args=(c, n % 5 + 1)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * len(clients)
    assert product_aggregates(app, offer["product_id"])["rating_count"] == len(clients)
    assert_aggregates_true(app, product_id=offer["product_id"])


# --- lists -------------------------------------------------------------------------

def test_sort_and_pages_of_reviews(app, make_offer, bought, client):
    offer = make_offer()
    for n in range(12):
        buyer_client, _, _ = bought(offer=offer, first_name=f"Buyer{n:02d}")
        review(buyer_client, offer["product_id"], rating=str(n % 5 + 1), body=f"Review number {n:02d}.")
    url = f"/products/{offer['product_id']}"
    newest = client.get(url).get_data(as_text=True)
    assert "Review number 11." in newest and "Review number 01." not in newest
    assert 'rel="next"' in newest and "reviews_page=2" in newest
    second = client.get(url + "?reviews_page=2").get_data(as_text=True)
    assert "Review number 01." in second and "Review number 11." not in second
    highest = client.get(url + "?reviews_sort=highest").get_data(as_text=True)
    lowest = client.get(url + "?reviews_sort=lowest").get_data(as_text=True)
    assert highest.index("Review number 09.") < highest.index("Review number 08.")
    assert lowest.index("Review number 10.") < lowest.index("Review number 00.")
    assert highest.split('<article class="review">')[1].split("</h3>")[0].count("★") == 5
    assert lowest.split('<article class="review">')[1].split("</h3>")[0].count("★") == 1
    assert client.get(url + "?reviews_sort=random").status_code == 400
    assert client.get(url + "?reviews_page=abc").status_code == 400
    assert_aggregates_true(app, product_id=offer["product_id"])


# --- sellers -------------------------------------------------------------------

def seller_review(client, seller_id, rating="5", body="Fast delivery."):
    return client.post(f"/reviews/seller/{seller_id}/new",
                       data={"review-rating": rating, "review-title": "", "review-body": body})


def test_seller_reviews(app, make_user, make_offer, user_client, client, login):
    seller = make_user(first_name="Sally", last_name="Seller")
    offer = make_offer(seller=seller)
    buyer_client, buyer = user_client(first_name="Bert", last_name="Buyer")
    stranger_client, _ = user_client()
    make_purchase(app, buyer, [(offer, 1)])

    page = buyer_client.get(f"/users/{seller.id}").get_data(as_text=True)
    assert "Reviews as a seller" in page and "Write a review" in page
    assert "Only buyers from this seller" in stranger_client.get(f"/users/{seller.id}").get_data(True)
    assert seller_review(stranger_client, seller.id).status_code == 403

    response = seller_review(buyer_client, seller.id, rating="4", body="Well <i>packed</i>.")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/users/{seller.id}#seller-reviews")
    page = client.get(f"/users/{seller.id}").get_data(as_text=True)
    assert "★ 4.0" in page and "Verified purchase" in page and "Well &lt;i&gt;packed&lt;/i&gt;." in page
    assert seller_review(buyer_client, seller.id, rating="1").status_code == 302  # to the edit page
    assert_aggregates_true(app, seller_id=seller.id)
    with app.app_context():
        hist = db.query_value("SELECT seller_rating_hist FROM users WHERE id = %s", (seller.id,))
    assert hist == [0, 0, 0, 1, 0]

    seller_client = app.test_client()
    login(seller_client, seller)
    assert seller_review(seller_client, seller.id).status_code == 403  # not yourself
    about_me = seller_client.get("/sell/reviews").get_data(as_text=True)
    assert "Well &lt;i&gt;packed&lt;/i&gt;." in about_me and "Bert B." in about_me
    mine = buyer_client.get("/account/reviews").get_data(as_text=True)
    assert "Well &lt;i&gt;packed&lt;/i&gt;." in mine and "Sally S." in mine

    [review_id] = review_ids(app, "seller_reviews")
    assert stranger_client.post(f"/reviews/seller/{review_id}/delete").status_code == 403
    response = buyer_client.post(f"/reviews/seller/{review_id}/edit",
                                 data={"review-rating": "2", "review-body": "Changed my mind."})
    assert response.status_code == 302
    assert_aggregates_true(app, seller_id=seller.id)
    assert buyer_client.post(f"/reviews/seller/{review_id}/delete").status_code == 302
    assert_aggregates_true(app, seller_id=seller.id)
    assert "No ratings yet" in client.get(f"/users/{seller.id}").get_data(as_text=True)


def test_reviews_i_wrote_lists_both_kinds(app, make_offer, bought):
    client, _, offer = bought()
    review(client, offer["product_id"], body="About the pan.")
    seller_review(client, offer["seller_id"], body="About the seller.")
    page = client.get("/account/reviews").get_data(as_text=True)
    assert "About the pan." in page and "About the seller." in page and "Cast iron pan" in page
    assert client.get("/account/reviews?page=0").status_code == 400
