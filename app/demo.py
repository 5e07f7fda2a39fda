"""A small demo dataset for an empty database, so ./setup.sh shows a
working shop at once. The Faker generator (db/generated) replaces it."""
from decimal import Decimal

from werkzeug.security import generate_password_hash

from . import db
from .models import ledger

DEMO_PASSWORD = "souk-demo"
DEMO_USERS = [("alice@example.com", "Alice", "Archer"), ("bob@example.com", "Bob", "Baker"),
              ("carol@example.com", "Carol", "Cooper")]
CATEGORIES = [("Books", "books"), ("Kitchen", "kitchen"), ("Garden", "garden"), ("Toys", "toys")]
PRODUCTS = [
    ("books", "The Pragmatic Gardener", "A practical guide to growing vegetables in small spaces."),
    ("books", "Cooking with Cast Iron", "Recipes and care tips for cast iron pans."),
    ("kitchen", "Cast Iron Skillet 26 cm", "Pre-seasoned skillet for stove and oven."),
    ("kitchen", "Chef's Knife 20 cm", "Stainless steel chef's knife with a full tang."),
    ("garden", "Watering Can 5 l", "Galvanised steel watering can with a brass rose."),
    ("garden", "Pruning Shears", "Bypass pruners for branches up to 2 cm."),
    ("toys", "Wooden Building Blocks", "Fifty beech blocks in a cotton bag."),
    ("toys", "Kite for Beginners", "A stable delta kite with 30 m of line."),
]


def load_demo_if_empty() -> str:
    """Load the demo data unless the database already has users."""
    if db.query_value("SELECT EXISTS (SELECT 1 FROM users)"):
        return "Demo data: the database already has data, nothing loaded."
    db.run_transaction(_load)
    return (f"Demo data loaded: {len(DEMO_USERS)} users (password '{DEMO_PASSWORD}'), "
            f"{len(CATEGORIES)} categories, {len(PRODUCTS)} products.")


def _load() -> None:
    password_hash = generate_password_hash(DEMO_PASSWORD)
    user_ids = [db.query_value("""INSERT INTO users (email, password_hash, first_name, last_name, address)
                                  VALUES (%s, %s, %s, %s, '1 Market Street') RETURNING id""",
                               (email, password_hash, first, last))
                for email, first, last in DEMO_USERS]
    for user_id in user_ids:
        ledger.post_entry(user_id, "topup", Decimal("500.00"))
    category_ids = {slug: db.query_value("INSERT INTO categories (name, slug) VALUES (%s, %s) RETURNING id",
                                         (name, slug))
                    for name, slug in CATEGORIES}
    for n, (slug, name, description) in enumerate(PRODUCTS):
        creator = user_ids[n % len(user_ids)]
        product_id = db.query_value(
            """INSERT INTO products (category_id, creator_id, name, description)
               VALUES (%s, %s, %s, %s) RETURNING id""", (category_ids[slug], creator, name, description))
        # Two sellers per product at different prices, so the offers box has a choice.
        for k, seller in enumerate((creator, user_ids[(n + 1) % len(user_ids)])):
            db.execute("INSERT INTO offers (product_id, seller_id, price, quantity) VALUES (%s, %s, %s, %s)",
                       (product_id, seller, Decimal(9 + 3 * n) + Decimal("0.99") + k * 2, 20 + 5 * k))
