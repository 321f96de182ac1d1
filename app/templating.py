"""Values available to every template: the centrale's identity, the navigation and the locale."""

from __future__ import annotations

from datetime import date

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .auth.roles import Role

# (endpoint, label, roles allowed); a domain whose blueprint is absent is skipped.
NAVIGATION = (
    ("catalog.list_products", _l("Catalogue"), None),
    ("orders.list_orders", _l("Orders"), None),
    ("members.list_members", _l("Members"), (Role.CATALOG_MANAGER, Role.FINANCE, Role.ADMIN)),
    ("members.my_member", _l("My collectivité"), (Role.BUYER, Role.APPROVER)),
    ("invoicing.list_invoices", _l("Invoices"), (Role.BUYER, Role.APPROVER, Role.FINANCE, Role.ADMIN)),
    ("campaigns.list_campaigns", _l("Campaigns"), (Role.CATALOG_MANAGER, Role.FINANCE, Role.ADMIN)),
    ("reports.dashboard", _l("Reports"), (Role.CATALOG_MANAGER, Role.FINANCE, Role.ADMIN)),
    ("reports.my_report", _l("Reports"), (Role.BUYER, Role.APPROVER)),
    ("subscriptions.list_subscriptions", _l("Subscriptions"), (Role.BUYER, Role.APPROVER)),
    ("approval.edit_rules", _l("Approval rules"), (Role.APPROVER,)),
    ("admin.job_runs", _l("Jobs and outbox"), (Role.ADMIN,)),
)


def navigation_items() -> list[tuple[str, str]]:
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label, roles in NAVIGATION:
        if endpoint not in current_app.view_functions:
            continue
        if roles is not None and Role(current_user.role) not in roles:
            continue
        items.append((url_for(endpoint), str(label), endpoint))
    return items


def allowed_query_args(*names: str) -> dict[str, str]:
    """Return the request's non-empty query parameters among ``names``, to rebuild a URL.

    Passing request.args whole to url_for would let any visitor add url_for's own keywords
    (_method, _external) or a route variable, and url_for then raises TypeError: a 500.
    """
    return {name: request.args[name] for name in names if request.args.get(name)}


def register_template_globals(app: Flask) -> None:
    app.jinja_env.globals["query_args"] = allowed_query_args

    @app.context_processor
    def inject_globals():
        return {
            "centrale": current_app.config["CENTRALE_IDENTITY"],
            "navigation_items": navigation_items,
            "current_locale": str(get_locale() or "fr"),
            "current_year": date.today().year,
            "Role": Role,
        }
