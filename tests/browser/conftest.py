"""Browser fixtures: a live server on its own database, Debian's chromium, and axe-core.

The live server gets a fresh SQLite file, or with TEST_DATABASE_URL set, a separate PostgreSQL
database named after it with a "_browser" suffix, which the fixture creates and drops. It is
migrated and loaded with `flask demo load`, then served by werkzeug on 127.0.0.1.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from app.extensions import db

from ..conftest import make_test_app

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = PROJECT_ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "demo-centrale"
BLOCKING_IMPACTS = ("serious", "critical")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _transaction():
    """Replace the shared per-test transaction: the live server commits for real in its own
    database, from its own threads, so no test-side session may wrap it."""
    yield


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = (
        f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) "
        "to run the browser tests."
    )
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _create_postgresql_database(url: str) -> str:
    """Create an empty database named after ``url``'s with "_browser" appended; return its URL."""
    base = make_url(url)
    browser_url = base.set(database=f"{base.database}_browser")
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{browser_url.database}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{browser_url.database}"'))
    admin.dispose()
    return browser_url.render_as_string(hide_password=False)


def _drop_postgresql_database(url: str) -> None:
    parsed = make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """Serve a migrated demo database on 127.0.0.1 and return the base URL, e.g. http://127.0.0.1:41234."""
    _require_chromium()
    test_url = os.environ.get("TEST_DATABASE_URL")
    if test_url:
        url = _create_postgresql_database(test_url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'browser.sqlite3'}"

    live_app = make_test_app(url, WTF_CSRF_ENABLED=True, TESTING=False, PROPAGATE_EXCEPTIONS=False)
    with live_app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
    result = live_app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, f"flask demo load failed:\n{result.output}"

    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_port}"
    logger.info("Live server started on %s with database %s", base_url, make_url(url).database)
    try:
        yield base_url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with live_app.app_context():
            db.engine.dispose()
        if test_url:
            _drop_postgresql_database(url)
        logger.info("Live server on %s stopped", base_url)


@pytest.fixture(scope="session")
def browser():
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """Return a fresh page with its own cookies. CSP is bypassed so that axe-core can be injected."""
    context = browser.new_context(base_url=live_server, bypass_csp=True, locale="fr-FR", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def format_violations(url: str, violations: list[dict]) -> str:
    lines = [f"axe-core found {len(violations)} serious or critical violation(s) on {url}:"]
    for violation in violations:
        targets = [", ".join(node["target"]) for node in violation["nodes"]]
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {target}" for target in targets)
    return "\n".join(lines)


def assert_accessible(page) -> None:
    """Run axe-core on the page and fail on any serious or critical violation."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    blocking = [violation for violation in results["violations"] if violation["impact"] in BLOCKING_IMPACTS]
    assert not blocking, format_violations(page.url, blocking)


def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login form and wait for the page it leads to."""
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()


def log_out(page) -> None:
    page.locator("details.dropdown summary").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Se déconnecter").click()
