"""Account rules: creating users, authenticating with throttling, sessions and passwords."""

from __future__ import annotations

import logging
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from app.errors import ValidationFailed
from app.extensions import db
from app.timeutils import utcnow

from .models import LoginAttempt, User, UserSession
from .passwords import MIN_PASSWORD_LENGTH, hash_password, needs_rehash, verify_password
from .roles import Role

logger = logging.getLogger(__name__)

# After this many failures for one e-mail (or one address) within the window, logins are
# refused until the window has passed, whatever the password.
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ADDRESS = 50

# Column sizes of users.email (the RFC 5321 path limit) and users.full_name.
EMAIL_MAX_LENGTH = 254
FULL_NAME_MAX_LENGTH = 200


class LoginThrottled(ValidationFailed):
    """Too many recent failed logins. The message gives the time to wait before trying again."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def validate_new_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            _l(
                "Password is too short: use at least %(count)d characters.",
                count=MIN_PASSWORD_LENGTH,
            ),
            field="password",
        )


def _shortened(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[:length] + "…"


def check_user_details(*, email: str, role: Role | str, member=None, full_name: str = "") -> str:
    """Check a new user's e-mail, name, role and member; return the normalised e-mail.

    Raises ValidationFailed naming the field: an e-mail over 254 characters or not valid for
    email-validator, a name over 200 characters, an e-mail already used, or a role that needs
    a member without one (or the reverse).
    """
    role = Role(role)
    email = normalise_email(email)
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationFailed(
            _l("E-mail is too long (%(length)s characters): %(maximum)s characters at most.",
               length=len(email), maximum=EMAIL_MAX_LENGTH),
            field="email",
        )
    try:
        # Outside production the demo and test accounts use the reserved .test domain.
        validate_email(email, check_deliverability=False,
                       test_environment=current_app.config.get("CENTRALE_ENV") != "production")
    except EmailNotValidError:
        raise ValidationFailed(
            _l("E-mail %(value)s is invalid: enter an address like nom@exemple.fr.", value=_shortened(email)),
            field="email",
        ) from None
    if len(full_name or "") > FULL_NAME_MAX_LENGTH:
        raise ValidationFailed(
            _l("Name is too long (%(length)s characters): %(maximum)s characters at most.",
               length=len(full_name), maximum=FULL_NAME_MAX_LENGTH),
            field="full_name",
        )
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        raise ValidationFailed(
            _l("A user with e-mail %(value)s already exists.", value=email), field="email"
        )
    if role.is_member_side and member is None:
        raise ValidationFailed(
            _l("Role %(role)s needs a member: give the member's SIREN.", role=role.label),
            field="member",
        )
    if not role.is_member_side and member is not None:
        raise ValidationFailed(
            _l("Role %(role)s belongs to the centrale and takes no member.", role=role.label),
            field="member",
        )
    return email


def create_user(
    *, email: str, password: str, role: Role | str, member=None, full_name: str = ""
) -> User:
    """Create a user; member-side roles need a member and centrale roles must not have one."""
    role = Role(role)
    email = check_user_details(email=email, role=role, member=member, full_name=full_name)
    validate_new_password(password)
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role.value,
        member=member,
        full_name=full_name,
    )
    db.session.add(user)
    db.session.flush()
    logger.info("User %s created with role %s", user.id, role.value)
    return user


def _recent_failures(column, value) -> int:
    since = utcnow() - FAILURE_WINDOW
    return db.session.scalar(
        select(func.count(LoginAttempt.id)).where(
            column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.attempted_at >= since
        )
    )


def authenticate(email: str, password: str, remote_addr: str = "") -> User | None:
    """Check the credentials and record the attempt; return the user or None.

    Raises LoginThrottled, without checking the password, while the e-mail or the address has
    too many recent failures. The attempt row is flushed, so the caller's commit keeps it.
    """
    email = normalise_email(email)
    if (
        _recent_failures(LoginAttempt.email, email) >= MAX_FAILURES
        or (remote_addr and _recent_failures(LoginAttempt.remote_addr, remote_addr) >= MAX_FAILURES_PER_ADDRESS)
    ):
        logger.warning("Login throttled for %s from %s", email, remote_addr)
        db.session.add(LoginAttempt(email=email, remote_addr=remote_addr, succeeded=False))
        raise LoginThrottled(
            _l(
                "Too many failed logins: wait %(minutes)d minutes, then try again.",
                minutes=int(FAILURE_WINDOW.total_seconds() // 60),
            )
        )

    user = db.session.scalar(select(User).where(User.email == email))
    ok = user is not None and user.is_active_account and verify_password(user.password_hash, password)
    db.session.add(LoginAttempt(email=email, remote_addr=remote_addr, succeeded=ok))
    if not ok:
        logger.warning("Failed login for %s from %s", email, remote_addr)
        db.session.flush()
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    logger.info("User %s logged in from %s", user.id, remote_addr)
    return user


def open_session(user: User, user_agent: str = "") -> UserSession:
    user_session = UserSession(user=user, user_agent=(user_agent or "")[:255])
    db.session.add(user_session)
    db.session.flush()
    return user_session


def revoke_session(token: str | None) -> None:
    if not token:
        return
    user_session = db.session.scalar(select(UserSession).where(UserSession.token == token))
    if user_session is not None and user_session.revoked_at is None:
        user_session.revoked_at = utcnow()
        logger.info("Session %s of user %s revoked", user_session.id, user_session.user_id)


def load_session_user(token: str | None) -> User | None:
    """Return the user of a live session token, or None when it is unknown or revoked."""
    if not token:
        return None
    user_session = db.session.scalar(
        select(UserSession).where(UserSession.token == token, UserSession.revoked_at.is_(None))
    )
    if user_session is None or not user_session.user.is_active_account:
        return None
    return user_session.user


def change_password(user: User, current_password: str, new_password: str, keep_token: str | None) -> None:
    """Change the password and revoke the user's other sessions."""
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed(
            _l("Current password is wrong: type the password you logged in with."),
            field="current_password",
        )
    validate_new_password(new_password)
    user.password_hash = hash_password(new_password)
    for other in db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    ):
        if other.token != keep_token:
            other.revoked_at = utcnow()
    logger.info("User %s changed their password", user.id)
