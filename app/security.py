"""Response headers every page gets, private pages kept out of caches, and
the settings for a deployment behind TLS and proxies."""
from flask import g
from werkzeug.middleware.proxy_fix import ProxyFix

# A strict policy: everything from our own origin, nothing inline, no frames.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; "
                           "script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                           "base-uri 'self'; object-src 'none'")
HSTS = "max-age=31536000; includeSubDomains"


def built_for_a_user() -> bool:
    """Whether this response was made knowing who is logged in: the user was
    loaded (by login_required, a view, or the page header) and is a real one.
    Static files and anonymous pages never load the user."""
    user = g.get("_login_user")
    return user is not None and user.is_authenticated


def init_app(app) -> None:
    if app.config["TRUSTED_PROXIES"]:
        # Behind N proxies, the client's address and scheme come from their
        # X-Forwarded-For / -Proto headers (rate limits key on that address).
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        if app.config["HTTPS"]:
            response.headers["Strict-Transport-Security"] = HSTS
        # Any page made for a logged-in user (account, purchases, cart,
        # checkout, every seller page, the catalog with their name and cart
        # in the header) shows what is theirs: no browser or proxy cache may
        # keep it. One rule here instead of one per view, so a new private
        # page cannot forget it. Other answers (versioned chart images, the
        # API) keep the caching their view chose.
        if built_for_a_user() and response.mimetype == "text/html":
            response.headers["Cache-Control"] = "private, no-store"
            response.vary.add("Cookie")
        return response
