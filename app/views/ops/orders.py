"""/ops/orders: find an order by its number, or a user's orders (as buyer
and as seller) by their email."""
from flask import render_template, request

from ...forms.fields import MAX_QUERY, clean_text
from ...ids import MAX_ID
from ...models import moderation
from ...pagination import page_arg, paginate
from . import console_blueprint

bp = console_blueprint("orders", "/orders")
PER_PAGE = 25


@bp.route("/")
def index():
    text, number = clean_text(request.args.get("q", "")), page_arg()
    if len(text) > MAX_QUERY:
        return render_template("ops/orders.html", search=text[:MAX_QUERY], page=None,
                               error=f"Search for at most {MAX_QUERY} characters."), 400
    digits = text.lstrip("#")
    order_id = int(digits) if digits.isascii() and digits.isdigit() and int(digits) <= MAX_ID else None
    user = moderation.user_by_email(text) if text and order_id is None else None
    if text and order_id is None and user is None:
        return render_template("ops/orders.html", search=text, page=None,
                               error="No order has that number and no user that email."), 404
    rows = moderation.find_orders(order_id, user["id"] if user else None, number, PER_PAGE) if text else []
    page = paginate(rows, number, PER_PAGE) if text else None
    return render_template("ops/orders.html", search=text, page=page, error=None, user=user)
