"""Kernel fixtures: a second application with probe routes for roles and the 500 page."""

import pytest
from flask import Blueprint

from app.auth.roles import Role, roles_required

from ..conftest import make_test_app


@pytest.fixture(scope="session")
def probe_app(app, database_url):
    """Return an app on the test database with two extra routes; errors render as in production.

    A route cannot be added to ``app`` once it has served a request, hence this second app.
    It depends on ``app`` so that the database is migrated first.
    """
    probe = make_test_app(database_url, PROPAGATE_EXCEPTIONS=False)
    blueprint = Blueprint("probe", __name__)

    @blueprint.route("/probe/admin-only")
    @roles_required(Role.ADMIN)
    def admin_only():
        return "admin page"

    @blueprint.route("/probe/finance-or-admin")
    @roles_required(Role.FINANCE, Role.ADMIN)
    def finance_or_admin():
        return "finance page"

    @blueprint.route("/probe/failure")
    def failure():
        raise RuntimeError("probe failure")

    probe.register_blueprint(blueprint)
    return probe


@pytest.fixture
def probe_client(probe_app):
    return probe_app.test_client()
