"""Login, logout, password change and the language switch."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.errors import ValidationFailed
from app.extensions import db, login_manager

from . import services
from .forms import LoginForm, PasswordChangeForm

logger = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

SESSION_TOKEN_KEY = "session_token"


@login_manager.user_loader
def load_user(user_id: str):
    user = services.load_session_user(session.get(SESSION_TOKEN_KEY))
    if user is None or str(user.id) != user_id:
        return None
    return user


def _safe_next(target: str | None) -> str:
    """Keep only a local path as the post-login target, against open redirects.

    Browsers read a backslash as a slash and drop tabs and newlines inside URLs, so a target
    like "/" + backslash + "evil.example" would lead off-site: backslashes and control
    characters are rejected.
    """
    if not target:
        return url_for("main.home")
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return url_for("main.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("main.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        except services.LoginThrottled as error:
            db.session.commit()
            flash(str(error), "error")
            return render_template("auth/login.html", form=form), 429
        if user is None:
            db.session.commit()
            flash(_("Wrong e-mail or password."), "error")
            return render_template("auth/login.html", form=form), 200
        session.clear()
        user_session = services.open_session(user, request.headers.get("User-Agent", ""))
        db.session.commit()
        session[SESSION_TOKEN_KEY] = user_session.token
        if user.locale:
            session["locale"] = user.locale
        login_user(user)
        return redirect(_safe_next(form.next.data))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    services.revoke_session(session.get(SESSION_TOKEN_KEY))
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data, session.get(SESSION_TOKEN_KEY)
            )
        except ValidationFailed as error:
            getattr(form, error.field or "current_password").errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your password has been changed; your other sessions are closed."), "success")
            return redirect(url_for("main.home"))
    return render_template("auth/password.html", form=form)


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    from flask import current_app

    if code in current_app.config["SUPPORTED_LOCALES"]:
        session["locale"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))
