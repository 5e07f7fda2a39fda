"""The CSV form of the product and seller review tables (planned in
plan_reviews.py)."""
from . import csvbytes as cb
from .columns import Table, flat, ids, ints, quoted, ref, times
from .plan import Plan
from .words import REVIEW_SENTENCES, REVIEW_TITLES, SELLER_SENTENCES, SELLER_TITLES


def reviews(plan: Plan, table: str) -> Table:
    """product_reviews or seller_reviews: a title (or none) and one to three
    sentences that match the stars."""
    if table == "product_reviews":
        written, subject, title_lists, sentence_lists = (plan.reviews, "product_id", REVIEW_TITLES,
                                                         REVIEW_SENTENCES)
    else:
        written, subject, title_lists, sentence_lists = (plan.seller_reviews, "seller_id", SELLER_TITLES,
                                                         SELLER_SENTENCES)
    titles, title_at, title_count = flat(title_lists)
    sentences, sentence_at, sentence_count = flat(sentence_lists)
    spaced = cb.Pool(f" {s}" for lists in sentence_lists for s in lists)
    star = written["rating"] - 1

    def title(part):
        pick = title_at[star[part]] + written["text"][part, 0] % title_count[star[part]]
        return quoted(cb.pooled(titles, pick, null=~written["has_title"][part]))

    def body(part):
        # Consecutive sentences of the rating's list, so never one twice.
        at, count = sentence_at[star[part]], sentence_count[star[part]]
        first = written["text"][part, 1] % count
        fields = [cb.pooled(sentences, at + first)]
        for extra in (1, 2):
            fields.append(cb.pooled(spaced, at + (first + extra) % count,
                                    null=written["sentences"][part] <= extra))
        return quoted(*fields)

    return Table(table, len(written["author"]), [
        ("id", ids), (subject, ref(written["subject"])), ("author_id", ref(written["author"])),
        ("rating", ints(written["rating"])), ("title", title), ("body", body),
        ("created_at", times(written["created"])), ("updated_at", times(written["updated"])),
    ])
