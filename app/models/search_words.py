"""Search words: the distinct words of product names (kept by triggers of
0080_search_words), used to suggest a spelling when a search finds little:
"tepot" -> "teapot"."""
from .. import db

# For each keyword that is not a word of any product name, the nearest name
# word by trigram distance: one GiST nearest-neighbour scan of search_words.
# `%` keeps words with a similarity of at least pg_trgm.similarity_threshold
# (0.3 by default): below it two words share too few trigrams to be one word
# misspelt. It is an index condition, so a word with no neighbour stops the
# scan at once instead of reading the whole table in distance order.
_NEAREST = """
SELECT typed.word AS typed, nearest.word AS nearest
FROM unnest(%(words)s::text[]) WITH ORDINALITY AS typed(word, position)
LEFT JOIN LATERAL (
    SELECT w.word FROM search_words w
    WHERE NOT EXISTS (SELECT 1 FROM search_words known WHERE known.word = typed.word)
      AND w.word %% typed.word
    ORDER BY w.word <-> typed.word, w.word
    LIMIT 1) nearest ON true
ORDER BY typed.position
"""


def suggest(keywords: tuple[str, ...]) -> tuple[str, ...] | None:
    """The keywords with each unknown word replaced by the most similar word
    of a product name, or None when no word changes. `keywords` come from
    product.keywords() (lower case letters and digits)."""
    if not keywords:
        return None
    rows = db.query(_NEAREST, {"words": list(keywords)})
    suggestion = tuple(row["nearest"] or row["typed"] for row in rows)
    return suggestion if suggestion != tuple(keywords) else None
