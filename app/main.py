"""Home page, accessibility statement and health check."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from .auth.roles import Role
from .extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    """Send each role to the page where its work starts."""
    role = Role(current_user.role)
    if role in (Role.BUYER, Role.APPROVER):
        return redirect(url_for("orders.list_orders"))
    if role == Role.CATALOG_MANAGER:
        return redirect(url_for("catalog.list_products"))
    return redirect(url_for("orders.list_orders"))


@bp.route("/accessibilite")
def accessibility():
    return render_template("accessibility.html")


@bp.route("/healthz")
def health():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
