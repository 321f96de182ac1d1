"""Centrale: the ordering platform of a French public purchasing centre."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, request, session

from .config import PROJECT_ROOT, build_config
from .extensions import babel, csrf, db, login_manager, migrate

logger = logging.getLogger(__name__)

DOMAIN_PACKAGES = ("members", "catalog", "orders", "invoicing", "reports")


def _select_locale() -> str:
    from flask import current_app, has_request_context

    if not has_request_context():  # CLI commands and jobs speak the default locale
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    supported = current_app.config["SUPPORTED_LOCALES"]
    chosen = session.get("locale")
    if chosen in supported:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _translation_directories() -> str:
    """Return every domain's translations folder: each domain keeps its own French catalogue."""
    folders = [PROJECT_ROOT / "app" / "translations"]
    folders += [PROJECT_ROOT / name / "translations" for name in DOMAIN_PACKAGES + ("demo",)]
    return ";".join(str(folder) for folder in folders if folder.is_dir())


# Libraries that log every rendering step at INFO; their warnings and errors still show.
NOISY_LIBRARY_LOGGERS = ("weasyprint", "weasyprint.progress", "fontTools", "factur-x")


def configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    for name in NOISY_LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def create_app(config: dict | None = None) -> Flask:
    """Build the application. ``config`` overrides the settings read from the environment.

    The factory makes no network call, runs no migration and starts no scheduler.
    """
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(PROJECT_ROOT / "instance"),
    )
    app.config.update(build_config(config))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = _translation_directories()
    configure_logging(app)

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        Path(app.config["SQLALCHEMY_DATABASE_URI"][len("sqlite:///"):]).parent.mkdir(
            parents=True, exist_ok=True
        )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    _import_models()
    _register_blueprints(app)
    _register_cli(app)

    from .errors import register_error_handlers
    from .formatting import register_filters
    from .templating import register_template_globals

    register_error_handlers(app)
    register_filters(app)
    register_template_globals(app)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; frame-ancestors 'none'",
        )
        if app.config["CENTRALE_ENV"] == "production":
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return app


def _import_models() -> None:
    """Import every model module so that SQLAlchemy and Alembic see all tables."""
    import importlib

    from . import audit, jobs, mail, numbering  # noqa: F401
    from .auth import models  # noqa: F401

    for name in DOMAIN_PACKAGES:
        try:
            importlib.import_module(f"{name}.models")
        except ModuleNotFoundError as error:
            if error.name != f"{name}.models":
                raise
    # Approval rules and subscriptions belong to orders but keep their models beside their rules.
    from orders import approval, subscriptions  # noqa: F401
    from invoicing import stripe_models  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    import importlib

    from .auth.views import bp as auth_bp
    from .main import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    for name in DOMAIN_PACKAGES:
        try:
            module = importlib.import_module(f"{name}.views")
        except ModuleNotFoundError as error:
            if error.name != f"{name}.views":
                raise
            continue
        app.register_blueprint(module.bp)

    # Campaigns belong to the orders domain but have a blueprint of their own.
    from orders.campaign_views import bp as campaigns_bp

    app.register_blueprint(campaigns_bp)

    from invoicing.stripe_views import bp as stripe_payments_bp

    app.register_blueprint(stripe_payments_bp)

    # Notification pages, approval rules and subscriptions (app/notification_views.py, orders/*_views.py).
    from orders.approval_views import bp as approval_bp
    from orders.subscription_views import bp as subscriptions_bp

    from .notification_views import admin_bp
    from .notification_views import bp as notifications_bp

    app.register_blueprint(notifications_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(approval_bp)
    app.register_blueprint(subscriptions_bp)


def _register_cli(app: Flask) -> None:
    import importlib

    from .auth.cli import users_cli

    app.cli.add_command(users_cli)
    from .scheduler import COMMANDS as scheduler_commands

    for command in scheduler_commands:
        app.cli.add_command(command)
    for name in DOMAIN_PACKAGES + ("demo",):
        try:
            module = importlib.import_module(f"{name}.cli")
        except ModuleNotFoundError as error:
            if error.name != f"{name}.cli":
                raise
            continue
        for command in module.COMMANDS:
            app.cli.add_command(command)

    from orders.campaign_cli import COMMANDS as campaign_commands

    for command in campaign_commands:
        app.cli.add_command(command)
