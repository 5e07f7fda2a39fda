"""Caching of catalog data and of guests' catalog pages.

What is cached, and for how long:
- Catalog data that is the same for everybody (list pages, counts,
  categories, a product's offers and reviews): remember(), for
  CATALOG_CACHE_SECONDS (2 s by default).
- Guests' catalog pages (home, category, search, product), whole and
  compressed: @guest_page, for the same time. They carry an ETag and
  Last-Modified (answered with 304) and `Cache-Control: public, max-age`
  of the same time, with `Vary: Cookie`, so a proxy or CDN may keep them
  that long too. Every other page is `Cache-Control: private, no-cache`.

The bound on staleness is the time to live, not invalidation: a price,
stock or sale change shows on every page within CATALOG_CACHE_SECONDS at
this server (twice that behind a shared cache that honours max-age). A
version key bumped on writes would only reach the process that made the
write unless every read also asked Redis or the database, which is the
cost the cache is there to save; a short time to live holds the same bound
on any number of workers and nodes, with or without Redis.

Where: Redis when SOUK_CACHE_REDIS_URL (or REDIS_URL) is set, so every
worker and node shares one copy; otherwise each process keeps its own
(cachelib's SimpleCache, bounded in entries). Redis failing never fails a
page: the value is computed as if nothing were cached.

Never cached for anybody else: a logged-in user's pages are rendered for
them (only the shared data above comes from the cache), a guest page is
cached only when rendering it neither read nor wrote anything personal (it
left the session untouched), and after a user's own POST their requests
skip the cache for one time to live, so they see their own writes at once.
The cart and checkout never use it.
"""
import gzip
import hashlib
import logging
import time

import brotli
from flask import current_app, g, make_response, render_template, request, session
from flask_caching import Cache
from flask_caching.backends.simplecache import SimpleCache
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .templating import save_data

cache = Cache()
log = logging.getLogger(__name__)
_MISSING = object()
# Session key: until when (epoch seconds) this user's requests skip the cache.
_SKIP_UNTIL = "cache_skip_until"
# Session keys that never change what a guest page shows: a guest whose
# session holds anything else gets the page rendered for them alone. (The
# CSRF token does end up in pages, through csrf_token(): _store_page checks
# whether the page asked for it.)
_IMPERSONAL_SESSION_KEYS = frozenset({"csrf_token", "_fresh", "_id", "_permanent", _SKIP_UNTIL})


def init_app(app) -> None:
    seconds = app.config["CATALOG_CACHE_SECONDS"]
    redis_url = app.config.get("CACHE_REDIS_URL")
    if seconds <= 0:
        settings = {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}
    elif redis_url:
        settings = {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url,
                    "CACHE_KEY_PREFIX": app.config["CACHE_KEY_PREFIX"]}
    else:
        settings = {"CACHE_TYPE": "app.cache.ProcessCache",
                    "CACHE_THRESHOLD": app.config["CACHE_MAX_ENTRIES"]}
    cache.init_app(app, config={**settings, "CACHE_DEFAULT_TIMEOUT": seconds})
    # Registered before flask-compress so that they run after it (Flask runs
    # after_request functions in reverse): the stored page is compressed,
    # and whatever is not public by then is private.
    app.after_request(_private_by_default)
    app.after_request(_store_page)
    app.after_request(_note_own_write)
    app.before_request(_serve_page)
    app.before_request(_serve_shopper_page)
    app.jinja_env.globals.update(csrf_token=_csrf_token, shared_fragment=shared_fragment,
                                 user_menu=user_menu)


class _AsIs:
    """A serializer that keeps values as they are."""

    @staticmethod
    def dumps(value):
        return value

    @staticmethod
    def loads(value):
        return value


class ProcessCache(SimpleCache):
    """The per-process cache: Flask-Caching's SimpleCache (bounded, with
    expiry) minus its pickling, so a hit is a dict lookup. Safe because
    nothing changes a value after caching it: rows, HTML and page bytes are
    only read."""

    serializer = _AsIs()


def _enabled() -> bool:
    return current_app.config["CATALOG_CACHE_SECONDS"] > 0


def _digest(parts) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _skipping() -> bool:
    return session.get(_SKIP_UNTIL, 0) > time.time()


def _get(key):
    try:
        return cache.get(key)
    except Exception:  # a cache that is down is a cache miss, never an error page
        log.warning("cache unavailable on get", exc_info=True)
        return None


def _set(key, value) -> None:
    try:
        cache.set(key, value)
    except Exception:
        log.warning("cache unavailable on set", exc_info=True)


def remember(name: str, compute, *args):
    """compute(*args), shared with every request (and, with Redis, every
    node) for CATALOG_CACHE_SECONDS. Only for data that is the same for
    everybody: never pass a user's id."""
    if not _enabled() or _skipping():
        return compute(*args)
    key = f"data:{name}:{_digest(args)}"
    entry = _get(key)
    if entry is None:
        entry = (compute(*args),)  # a tuple, so that None results are cached too
        _set(key, entry)
    return entry[0]


def _note_own_write(response):
    """After a logged-in user's POST, their next requests skip the cache for
    one time to live: they see their own change at once on any worker."""
    if request.method == "POST" and _enabled() and "_user_id" in session:
        session[_SKIP_UNTIL] = int(time.time()) + current_app.config["CATALOG_CACHE_SECONDS"] + 1
    return response


# --- fragments of logged-in pages ---------------------------------------------

# What a fragment holds in place of the viewer's CSRF token: the token is
# put in when the fragment is served, so one fragment serves every viewer.
_CSRF_SLOT = "souk-csrf-token-slot"


def _csrf_token() -> str:
    """csrf_token() in templates: a marker while a shared fragment is
    rendered, else flask-wtf's token."""
    if g.get("rendering_shared_fragment"):
        return _CSRF_SLOT
    return generate_csrf()


def shared_fragment(*key, caller):
    """A piece of a page rendered once for everybody and cached like data,
    for `{% call shared_fragment(name, data...) %}...{% endcall %}`. The
    key must hold everything the piece depends on besides the URL (which is
    added): the rows it shows, and whether the viewer owns any of them. It
    may contain csrf_token(); nothing else of the viewer's."""
    if not _enabled() or _skipping():
        return caller()
    nested = g.get("rendering_shared_fragment", False)  # inside another: it puts the token in
    cache_key = f"fragment:{_digest((key, request.full_path, save_data()))}"
    html = _get(cache_key)
    if html is None:
        g.rendering_shared_fragment = True
        try:
            html = str(caller())
        finally:
            g.rendering_shared_fragment = nested
        own_token = g.get("csrf_token")
        if not own_token or own_token not in html:  # a form made its own token: not shareable
            _set(cache_key, html)
    return Markup(html if nested else _with_token(html))


# --- guests' pages ------------------------------------------------------------

def guest_page(view=None, *, buyers_alike: bool = False):
    """Mark a view as a catalog page whose guest version may be cached and
    served to every guest, and whose logged-in version may be shared among
    plain shoppers (see _plain_shopper). buyers_alike: the page shows a
    shopper who bought before nothing of their purchases (lists), so buyers
    share it too."""
    def mark(function):
        function.souk_guest_page = True
        function.souk_buyers_alike = buyers_alike
        return function
    return mark(view) if view is not None else mark


def _is_guest_page() -> bool:
    """A GET of a marked view by a visitor who is not logged in and has no
    message waiting: the page is then the same for every such visitor."""
    view = current_app.view_functions.get(request.endpoint)
    return (request.method in ("GET", "HEAD") and getattr(view, "souk_guest_page", False) and _enabled()
            and _IMPERSONAL_SESSION_KEYS.issuperset(session.keys())
            and current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") not in request.cookies)


def _encoding() -> str:
    """The encoding flask-compress will pick (br before gzip), part of the key."""
    offered = request.headers.get("Accept-Encoding", "").split(",")
    accepted = {part.split(";")[0].strip().lower() for part in offered
                if "q=0" not in part.replace(" ", "").split(";")[1:]}
    return next((name for name in ("br", "gzip") if name in accepted), "identity")


def _page_key() -> str:
    return f"page:{_encoding()}:{save_data()}:{_digest(request.full_path)}"


def _serve_page():
    if not _is_guest_page():
        return None
    key = _page_key()
    entry = _get(key)
    if entry is None:
        g.page_cache_key = key
        return None
    body, headers, created = entry
    response = make_response(body)
    response.headers.update(headers)
    g.page_cache_hit = True
    return _public(response, created)


def _public(response, created: float):
    response.headers["Cache-Control"] = f"public, max-age={current_app.config['CATALOG_CACHE_SECONDS']}"
    response.last_modified = created
    response.vary.update(("Cookie", "Accept-Encoding"))
    return response.make_conditional(request)


def _store_page(response):
    key = g.pop("page_cache_key", None)
    if key is None or g.get("page_cache_hit"):
        return response
    encoding = response.headers.get("Content-Encoding", "identity")
    # A page that holds a CSRF token or changed the session (a message) is
    # that visitor's own: never stored.
    if (response.status_code != 200 or session.modified or "csrf_token" in g or response.is_streamed
            or encoding != key.split(":")[1] or "Set-Cookie" in response.headers):
        return response
    body = response.get_data()
    response.set_etag(hashlib.blake2b(body, digest_size=12).hexdigest())
    headers = {name: value for name, value in response.headers.items()
               if name in ("Content-Type", "Content-Encoding", "ETag", "Content-Security-Policy")}
    created = int(time.time())
    _set(key, (body, headers, created))
    return _public(response, created)


# --- shoppers' pages ----------------------------------------------------------

# What a shared shopper page holds in place of the viewer's part of the
# header (base.html's user_menu(): inbox and cart counts, name, balance,
# the log-out form).
_MENU_SLOT = "souk-user-menu-slot"
# Session keys of a logged-in visitor that change nothing a catalog page
# shows besides the header: anything else (a message waiting) gets the page
# rendered for them alone.
_SHOPPER_SESSION_KEYS = _IMPERSONAL_SESSION_KEYS | {"_user_id"}


def _plain_shopper(user) -> bool:
    """A logged-in GET of a marked view by someone the page shows nothing of
    their own but the header: never sold or created a product (no "your
    offer", no edit links), not an operator (no console link), not
    suspended (no notice), no message waiting, and for pages that show
    purchases (the home page's recommendations and flash-sale counts, a
    product page's review form) never bought. Their pages are the same but
    for the header and CSRF tokens, and the time zone (part of the key)."""
    view = current_app.view_functions.get(request.endpoint)
    return (request.method in ("GET", "HEAD") and getattr(view, "souk_guest_page", False) and _enabled()
            and user.is_authenticated and not (user.sells or user.is_operator or user.suspended_at)
            and (not user.has_orders or view.souk_buyers_alike)
            and _SHOPPER_SESSION_KEYS.issuperset(session.keys()) and not _skipping())


def _shopper_key(user) -> str:
    return f"shopper:{save_data()}:{user.time_zone or ''}:{_digest(request.full_path)}"


def user_menu():
    """base.html's header part for the logged-in viewer; a slot while a
    shared shopper page is rendered."""
    if "shopper_page_key" in g:
        return Markup(_MENU_SLOT)
    return Markup(_with_token(_menu_html()))


# _user_menu.html rendered, with a slot for the CSRF token, per combination
# of what it shows of the viewer (_menu_key): a logged-in page renders no
# template for its header while those stay the same. Kept per app (its
# settings: the currency) in each process, bounded.
MENUS_KEPT = 4096


def _menu_key(user) -> tuple:
    """Everything _user_menu.html shows (a value it starts to show joins
    this key), and the URL prefix its links have."""
    return request.script_root, user.id, user.first_name, user.balance, user.unread_notices, user.cart_units


def _menu_html() -> str:
    menus = current_app.extensions.setdefault("souk_menus", {})
    key = _menu_key(current_user._get_current_object())
    html = menus.get(key)
    if html is None:
        nested = g.get("rendering_shared_fragment", False)
        g.rendering_shared_fragment = True  # the token stays a slot
        try:
            html = render_template("_user_menu.html")
        finally:
            g.rendering_shared_fragment = nested
        if len(menus) >= MENUS_KEPT:
            menus.pop(next(iter(menus), None), None)  # the oldest
        menus[key] = html
    return html


def _with_token(html: str) -> str:
    return html.replace(_CSRF_SLOT, generate_csrf()) if _CSRF_SLOT in html else html


def _personal(html: str) -> str:
    """A shared shopper page made the viewer's: their header, their token."""
    g.pop("shopper_page_key", None)  # user_menu() renders for real from here on
    return _with_token(html.replace(_MENU_SLOT, _menu_html(), 1))


def _serve_shopper_page():
    """A plain shopper's catalog page from the shared entry: one query (the
    session user, loaded here), no view, only the header rendered. On a miss
    the view renders the page with slots and _finish_shopper_page stores it."""
    if request.method not in ("GET", "HEAD") or "_user_id" not in session:
        return None
    user = current_user._get_current_object()
    if not _plain_shopper(user):
        return None
    key = _shopper_key(user)
    entry = _get(key)
    if entry is None:
        g.shopper_page_key = key
        g.rendering_shared_fragment = True  # tokens and fragments keep their slots
        return None
    html, headers = entry
    response = make_response(_personal(html))
    response.headers.update(headers)
    return response


def finish_shopper_page(response):
    """After a plain shopper's page was rendered with slots: store it (a 200
    whose page holds nothing of the viewer's: no token of theirs, no
    session change) and fill the slots in for this viewer. Registered after
    compress_for_one_request, so it runs before it."""
    key = g.get("shopper_page_key")
    if key is None:
        return response
    g.rendering_shared_fragment = False
    if response.is_streamed or response.direct_passthrough:
        g.pop("shopper_page_key")
        return response
    html = response.get_data(as_text=True)
    own_token = g.get("csrf_token")
    if (response.status_code == 200 and response.mimetype == "text/html" and not session.modified
            and "Set-Cookie" not in response.headers and not (own_token and own_token in html)):
        _set(key, (html, {name: value for name, value in response.headers.items()
                          if name in ("Content-Type", "Content-Security-Policy")}))
    response.set_data(_personal(html))
    return response


# Compression of a page made for one request (a logged-in page, a guest page
# not stored): the fastest levels. On a 38 KB home page brotli 1 takes 0.14 ms
# and gives 5.3 KB, brotli 5 (flask-compress's level, kept for stored pages,
# which are compressed once per time to live) 1.25 ms for 4.4 KB.
FAST_BROTLI_QUALITY = 1
FAST_GZIP_LEVEL = 1
_COMPRESS_MIN_SIZE = 256


def compress_for_one_request(response):
    """Compress an HTML page that will not be stored at the fast levels;
    flask-compress then leaves it as it is (it skips what is encoded) and
    compresses stored guest pages and static files at its own levels.
    Registered after flask-compress, so it runs before it."""
    if ("page_cache_key" in g or response.status_code != 200 or response.mimetype != "text/html"
            or response.is_streamed or response.direct_passthrough or "Content-Encoding" in response.headers):
        return response
    encoding = _encoding()
    data = response.get_data()
    if encoding == "identity" or len(data) < _COMPRESS_MIN_SIZE:
        return response
    response.set_data(brotli.compress(data, quality=FAST_BROTLI_QUALITY) if encoding == "br"
                      else gzip.compress(data, compresslevel=FAST_GZIP_LEVEL, mtime=0))
    response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    return response


def _private_by_default(response):
    """Pages not explicitly public are for their one visitor only."""
    if not response.cache_control.public and "Cache-Control" not in response.headers:
        response.cache_control.private = True
        response.cache_control.no_cache = True
    return response
