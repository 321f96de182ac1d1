"""Domain errors with a translated message for the user, and the HTTP error pages."""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule was broken; ``message`` is already translated for the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class ValidationFailed(DomainError):
    """An input value breaks a validation rule (identifier checksum, missing field...)."""


class InvalidTransition(DomainError):
    """A lifecycle move that the transition table does not allow."""


class PermissionDenied(DomainError):
    """The user's role or member does not allow the action."""


class NotFound(DomainError):
    """The object does not exist, or belongs to another member."""


def register_error_handlers(app: Flask) -> None:
    """Render French error pages for 400, 403, 404, 405, 413, 429 and 500, and for a failed CSRF check."""
    from .extensions import db

    def render(code: int, explanation: str | None = None):
        return render_template("errors/error.html", code=code, explanation=explanation), code

    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, lambda error, code=code: render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        # Flask-WTF raises it for a missing, invalid or expired token: most often a form opened
        # before the session expired or changed (a logout, a new login in another tab).
        logger.warning("CSRF check failed on %s %s: %s", request.method, request.path, error.description)
        return render(400, gettext("The form has expired: reload the page and submit it again."))

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        logger.error(
            "Internal error on %s %s: %r",
            request.method,
            request.path,
            getattr(error, "original_exception", error),
        )
        return render(500)
