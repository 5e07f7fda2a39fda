"""The CSV form of the catalog tables: categories, users, products,
offers and photos (planned in plan_catalog.py). Text is composed from pools and quoted;
none of it contains a double quote."""
import numpy as np

from app.images import VARIANTS

from . import csvbytes as cb
from .columns import Column, Table, flag, flat, histogram, ids, ints, money, quoted, ref, times
from .plan import Plan
from .sampling import DAY
from .words import CATEGORIES, CLOSINGS, DEMO_PEOPLE


def categories(plan: Plan, table: str) -> Table:
    chosen = CATEGORIES[:plan.counts.categories]
    names, slugs = cb.Pool(c.name for c in chosen), cb.Pool(c.slug for c in chosen)
    return Table(table, len(chosen), [
        ("id", ids),
        ("name", lambda part: quoted(cb.pooled(names, np.arange(part.start, part.stop)))),
        ("slug", lambda part: cb.pooled(slugs, np.arange(part.start, part.stop))),
    ])


def users(plan: Plan, table: str) -> Table:
    users, pools = plan.users, plan.pools
    demo = len(DEMO_PEOPLE)
    first = cb.Pool(list(pools.first_names) + [p[0] for p in DEMO_PEOPLE])
    last = cb.Pool(list(pools.last_names) + [p[1] for p in DEMO_PEOPLE])
    email_first = cb.Pool(list(pools.email_first) + [p[0].lower() for p in DEMO_PEOPLE])
    email_last = cb.Pool(pools.email_last)
    domains = cb.Pool(["@example.org", "@example.com"])
    streets, cities = cb.Pool(pools.streets), cb.Pool(pools.cities)
    ratings = users["seller_ratings"]

    def names(pool, column, offset):
        def make(part):
            index = users[column][part].copy()
            row = np.arange(part.start, part.stop)
            index[row < demo] = offset + row[row < demo]
            return quoted(cb.pooled(pool, index))
        return make

    def email(part):
        row = np.arange(part.start, part.stop)
        is_demo = row < demo
        first_index = np.where(is_demo, len(pools.email_first) + row % demo, users["first"][part])
        n = len(row)
        # first.last.id@example.org, unique by construction; alice@example.com for demo users.
        dot = cb.const(n, ".", null=is_demo)
        return quoted(cb.pooled(email_first, first_index), dot,
                      cb.pooled(email_last, users["last"][part], null=is_demo), dot,
                      cb.integer(row + 1, null=is_demo), cb.pooled(domains, is_demo.astype(np.int64)))

    def balance(part):  # the sum of the user's ledger rows, planned with them
        plan.ledger()
        return cb.money(users["balance"][part])

    def address(part):
        n = part.stop - part.start
        return quoted(cb.pooled(streets, users["street"][part]), cb.const(n, ", "),
                       cb.pooled(cities, users["city"][part]))

    return Table(table, plan.counts.users, [
        ("id", ids), ("email", email), ("password_hash", lambda part: cb.const(part.stop - part.start,
                                                                                plan.password_hash)),
        ("first_name", names(first, "first", len(pools.first_names))),
        ("last_name", names(last, "last", len(pools.last_names))),
        ("address", address), ("balance", balance),
        ("seller_rating_count", ints(ratings["count"])), ("seller_rating_sum", ints(ratings["sum"])),
        ("seller_rating_hist", histogram(ratings["hist"])), ("created_at", times(users["created"])),
    ])


def _full_name(plan: Plan, user: np.ndarray) -> tuple[cb.Field, cb.Field, cb.Field]:
    """"First", " ", "Last" of the users `user` (0-based), demo users' own."""
    users, pools = plan.users, plan.pools
    demo = len(DEMO_PEOPLE)
    first = cb.Pool(list(pools.first_names) + [p[0] for p in DEMO_PEOPLE])
    last = cb.Pool(list(pools.last_names) + [p[1] for p in DEMO_PEOPLE])
    is_demo = user < demo
    first_index = np.where(is_demo, len(pools.first_names) + user, users["first"][user])
    last_index = np.where(is_demo, len(pools.last_names) + user, users["last"][user])
    return cb.pooled(first, first_index), cb.const(len(user), " "), cb.pooled(last, last_index)


def _street_city(plan: Plan, user: np.ndarray) -> tuple[cb.Field, cb.Field, cb.Field]:
    streets, cities = cb.Pool(plan.pools.streets), cb.Pool(plan.pools.cities)
    return (cb.pooled(streets, plan.users["street"][user]), cb.const(len(user), ", "),
            cb.pooled(cities, plan.users["city"][user]))


def postal_label(plan: Plan, who: np.ndarray) -> Column:
    """A column of "First Last", a newline, "street, city" for the users
    `who` (0-based): what an order copies from its buyer's address."""
    def make(part):
        user = who[part]
        return quoted(*_full_name(plan, user), cb.const(len(user), "\n"), *_street_city(plan, user))
    return make


def addresses(plan: Plan, table: str) -> Table:
    """Every user's address book: their one address, the default."""
    everyone = np.arange(plan.counts.users)
    return Table(table, plan.counts.users, [
        ("id", ids), ("user_id", ref(everyone)),
        ("recipient", lambda part: quoted(*_full_name(plan, everyone[part]))),
        ("address", lambda part: quoted(*_street_city(plan, everyone[part]))),
        ("is_default", flag(np.ones(plan.counts.users, dtype=bool))),
        ("created_at", times(plan.users["created"])),
    ], optional=True)


def products(plan: Plan, table: str) -> Table:
    products = plan.products
    chosen = CATEGORIES[:plan.counts.categories]
    adjectives, adjective_at, _ = flat([c.adjectives for c in chosen])
    nouns, noun_at, _ = flat([c.nouns for c in chosen])
    variants, variant_at, _ = flat([[f", {v}" for v in c.variants] for c in chosen])
    features, feature_at, feature_count = flat([c.features for c in chosen])
    brands, closings = cb.Pool(plan.pools.brands), cb.Pool(f" {c}" for c in CLOSINGS)
    ratings = products["ratings"]

    def parts(part):
        category = products["category"][part]
        return (category, cb.pooled(brands, products["brand"][part] % len(brands)),
                cb.pooled(adjectives, adjective_at[category] + products["adjective"][part]),
                cb.pooled(nouns, noun_at[category] + products["noun"][part]))

    def name(part):
        category, brand, adjective, noun = parts(part)
        n, variant = len(category), products["variant"][part]
        return quoted(brand, cb.const(n, " "), adjective, cb.const(n, " "), noun,
                       cb.pooled(variants, variant_at[category] + np.maximum(variant, 0), null=variant < 0))

    def description(part):
        # "The <adjective> <noun> from <brand>." then one selling point of
        # its category, and for some a closing line. Short, because the
        # server turns every description into a search vector.
        category, brand, adjective, noun = parts(part)
        n, feature, closing = len(category), products["feature"][part], products["closing"][part]
        return quoted(cb.const(n, "The "), adjective, cb.const(n, " "), noun, cb.const(n, " from "), brand,
                      cb.const(n, ". "),
                      cb.pooled(features, feature_at[category] + feature % feature_count[category]),
                      cb.pooled(closings, closing // 4 % len(closings), null=closing % 4 != 0))

    return Table(table, plan.counts.products, [
        ("id", ids), ("category_id", ref(products["category"])), ("creator_id", ref(products["creator"])),
        ("name", name), ("description", description), ("created_at", times(products["created"])),
        ("min_price", money(products["min_price"])), ("seller_count", ints(products["seller_count"])),
        ("rating_count", ints(ratings["count"])), ("rating_sum", ints(ratings["sum"])),
        ("rating_hist", histogram(ratings["hist"])), ("units_sold", ints(products["units_sold"])),
    ])


def offers(plan: Plan, table: str) -> Table:
    offers = plan.offers
    return Table(table, plan.counts.offers, [
        ("id", ids), ("product_id", ref(offers["product"])), ("seller_id", ref(offers["seller"])),
        ("price", money(offers["price"])), ("quantity", ints(offers["quantity"])),
        ("active", flag(offers["active"])), ("created_at", times(offers["created"])),
        ("updated_at", times(offers["updated"])),
        # What the seller wants; `active` adds moderation (0110_operator).
        ("listed", flag(offers["active"])),
    ])


def photos(plan: Plan, table: str) -> Table:
    """The pool of pictures (a few per category); the files as bytea in hex."""
    pool = plan.photos["sizes"]
    columns = [("id", ids), ("sha256", _pool_column(plan.photos["hash"])),
               ("width", _pool_column([sizes.width for sizes in pool])),
               ("height", _pool_column([sizes.height for sizes in pool]))]
    columns += [(name, _pool_column(["\\x" + sizes.files[name].hex() for sizes in pool]))
                for name in VARIANTS]
    columns.append(("created_at", times(np.full(len(pool), plan.now - DAY))))
    return Table(table, len(pool), columns)


def _pool_column(values: list) -> Column:
    pool = cb.Pool(values)
    return lambda part: cb.pooled(pool, np.arange(part.start, part.stop))


def product_photos(plan: Plan, table: str) -> Table:
    """One photo per product, first in its list."""
    chosen = plan.product_photos
    return Table(table, len(chosen["product"]), [
        ("product_id", ref(chosen["product"])),
        ("position", lambda part: cb.const(part.stop - part.start, "1")), ("photo_id", ref(chosen["photo"])),
    ])
