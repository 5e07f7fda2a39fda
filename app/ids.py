"""Database ids: bigint everywhere, so one bound serves URLs, forms and the API.

`<id:name>` in a route (registered by create_app) matches 1..MAX_ID; a larger
number, zero or a sign is simply not found (404) instead of an error from
PostgreSQL."""
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """The `id` URL converter: a positive bigint."""

    def __init__(self, url_map):
        super().__init__(url_map, min=1, max=MAX_ID)
