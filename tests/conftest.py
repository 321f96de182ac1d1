"""Shared fixtures: the app on SQLite or PostgreSQL, a rolled-back transaction per test, logins.

Set TEST_DATABASE_URL to a PostgreSQL URL to run the suite there. At the start of the run, its
schema is dropped and rebuilt by the migrations. Without it, a fresh SQLite file is used.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from app.extensions import db

from .factories import Factories

DEMO_PASSWORD = "correct-horse-battery"


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


def reset_database(url: str) -> None:
    """Drop everything in a PostgreSQL database so the migrations start from empty."""
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def make_test_app(url: str, **overrides):
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret-key",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    application = create_app(config)
    application.before_request_funcs.setdefault(None, []).insert(0, _forget_previous_request)
    return application


def _forget_previous_request() -> None:
    """Drop the user and locale that Flask-Login and Flask-Babel cache in ``g``.

    Each test runs inside one application context, which every test-client request reuses,
    so ``g`` would carry the previous request's user and locale into the next request.
    """
    from flask import g

    g.pop("_login_user", None)
    g.pop("_flask_babel", None)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url):
    reset_database(database_url)
    application = make_test_app(database_url)
    with application.app_context():
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    return application


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Run each test inside a transaction that is rolled back, so tests never see each other.

    Tests marked ``committing`` get the real session instead and clean up after themselves
    (concurrency tests need real commits seen by other connections).
    """
    if request.node.get_closest_marker("committing"):
        with app.app_context():
            yield
            db.session.remove()
            truncate_all_tables()
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        driver_connection = connection.connection.driver_connection
        if connection.dialect.name == "sqlite":
            # pysqlite commits on its own when a savepoint is released, so a view's commit
            # would outlive the test: open the outer transaction explicitly instead.
            legacy_isolation_level = driver_connection.isolation_level
            driver_connection.isolation_level = None
            connection.exec_driver_sql("BEGIN")
        original_session = db.session
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original_session
            outer.rollback()
            if connection.dialect.name == "sqlite":
                driver_connection.isolation_level = legacy_isolation_level
            connection.close()


def truncate_all_tables() -> None:
    """Delete every row of every application table (used after committing tests)."""
    tables = [table for table in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def factories(app) -> Factories:
    return Factories(password=DEMO_PASSWORD)


@pytest.fixture
def login(client):
    """Log a user in through the real login form; returns the client."""

    def do_login(user, password: str = DEMO_PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, f"login of {user.email} failed: {response.status_code}"
        return client

    return do_login


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)
