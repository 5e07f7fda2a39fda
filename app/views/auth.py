"""Register, log in, log out."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from ..forms.accounts import LoginForm, RegisterForm
from ..limits import failed, limited
from ..models import user as users
from ..models import user_session
from .helpers import safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")


def start_session(user: users.User, remember: bool = False) -> None:
    """Log the user in with a new server-side session (see user_session)."""
    user.session_token = user_session.start_session(user.id, current_app.config["SESSION_TTL_SECONDS"])
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@limited("register")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = users.create_user(form.email.data, form.password.data, form.first_name.data,
                                     form.last_name.data, form.address.data or "",
                                     current_app.config["PASSWORD_HASH_METHOD"])
        except users.EmailTaken:
            form.email.errors.append("An account with this email already exists. Log in instead?")
        else:
            start_session(user)
            flash(f"Welcome to Souk, {user.first_name}!", "success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    return render_template("auth/register.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/login", methods=["GET", "POST"])
@limited("login", counts=failed)
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(form.email.data, form.password.data,
                                  current_app.config["PASSWORD_HASH_METHOD"])
        if user is None:
            form.password.errors.append("Wrong email or password.")
        else:
            start_session(user, remember=form.remember.data)
            flash(f"Welcome back, {user.first_name}.", "success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    return render_template("auth/login.html", form=form), 200 if request.method == "GET" else 400


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    user_session.end_session(current_user.session_token)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("main.home"))
