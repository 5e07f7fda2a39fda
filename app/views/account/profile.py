"""The private account pages: profile, balance and ledger, password."""
from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, logout_user

from ...forms.accounts import PasswordForm, ProfileForm, TopUpForm, WithdrawForm
from ...limits import limited
from ...models import ledger, user_session
from ...models import order as orders
from ...models import user as users
from ...money import format_money
from ...pagination import page_arg, paginate
from ..helpers import refuse_if_suspended

bp = Blueprint("account", __name__, url_prefix="/account")
LEDGER_PER_PAGE = 20


@bp.before_request
@login_required
def require_login():
    """Every account page is the logged-in user's own."""


def _overview(topup_form=None, withdraw_form=None, status=200):
    number = page_arg()
    entries = paginate(ledger.entries(current_user.id, number, LEDGER_PER_PAGE), number, LEDGER_PER_PAGE)
    return render_template("account/overview.html", entries=entries,
                           held=orders.seller_money(current_user.id),
                           topup_form=topup_form or TopUpForm(prefix="topup"),
                           withdraw_form=withdraw_form or WithdrawForm(prefix="withdraw")), status


@bp.route("/")
def overview():
    return _overview()


@bp.route("/topup", methods=["POST"])
@limited("topup")
def topup():
    form = TopUpForm(prefix="topup")
    if not form.validate_on_submit():
        return _overview(topup_form=form, status=400)
    balance = ledger.top_up(current_user.id, form.amount.amount)
    flash(f"Added {format_money(form.amount.amount)}. Your balance is {format_money(balance)}.", "success")
    return redirect(url_for(".overview"))


@bp.route("/withdraw", methods=["POST"])
def withdraw():
    refuse_if_suspended("withdraw money")
    form = WithdrawForm(prefix="withdraw")
    if form.validate_on_submit():
        try:
            balance = ledger.withdraw(current_user.id, form.amount.amount)
        except ledger.InsufficientFunds:
            form.amount.errors.append("You cannot withdraw more than your balance.")
        else:
            flash(f"Withdrew {format_money(form.amount.amount)}. Your balance is {format_money(balance)}.",
                  "success")
            return redirect(url_for(".overview"))
    return _overview(withdraw_form=form, status=400)


@bp.route("/edit", methods=["GET", "POST"])
def edit():
    form = ProfileForm(obj=current_user, site_zone=current_app.config["TIMEZONE"])
    if form.validate_on_submit():
        try:
            users.update_profile(current_user.id, form.email.data, form.first_name.data,
                                 form.last_name.data, form.address.data or "", form.time_zone.data or None)
        except users.EmailTaken:
            form.email.errors.append("Another account already uses this email.")
        else:
            flash("Your profile is saved.", "success")
            return redirect(url_for(".overview"))
    return render_template("account/edit.html", form=form), 400 if form.errors else 200


@bp.route("/password", methods=["GET", "POST"])
@limited("password")
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not users.change_password(current_user.id, form.current.data, form.password.data,
                                     current_app.config["PASSWORD_HASH_METHOD"],
                                     keep_session=current_user.session_token):
            form.current.errors.append("That is not your current password.")
        else:
            flash("Your password is changed. Your other sessions and app tokens were logged out.", "success")
            return redirect(url_for(".overview"))
    return render_template("account/password.html", form=form), 400 if form.errors else 200


@bp.route("/logout-everywhere", methods=["POST"])
def logout_everywhere():
    """End every session of this account (this one, other browsers,
    remember-me cookies) and revoke its API tokens."""
    user_session.end_sessions(current_user.id)
    logout_user()
    flash("You are logged out everywhere: every browser and app has to log in again.", "info")
    return redirect(url_for("auth.login"))
