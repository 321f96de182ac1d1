"""Settings read from environment variables and validated at start-up."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"


class ConfigurationError(RuntimeError):
    """An environment variable is missing or invalid; the message names it and the fix."""


@dataclass(frozen=True)
class CentraleIdentity:
    """The purchasing centre's own identity, printed on every document it issues."""

    name: str
    address_line1: str
    address_line2: str
    postcode: str
    city: str
    siren: str
    siret: str
    vat_number: str
    iban: str
    bic: str
    email: str
    phone: str
    logo_path: str


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def load_identity() -> CentraleIdentity:
    """Read the centrale's identity from CENTRALE_* variables, defaulting to Manche Numérique."""
    identity = CentraleIdentity(
        name=_env("CENTRALE_NAME", "Manche Numérique"),
        address_line1=_env("CENTRALE_ADDRESS_LINE1", "235 rue Joseph Cugnot"),
        address_line2=_env("CENTRALE_ADDRESS_LINE2", ""),
        postcode=_env("CENTRALE_POSTCODE", "50000"),
        city=_env("CENTRALE_CITY", "Saint-Lô"),
        # Demonstration identifiers that pass their checksums; set the real ones in production.
        siren=_env("CENTRALE_SIREN", "255001588"),
        siret=_env("CENTRALE_SIRET", "25500158800003"),
        vat_number=_env("CENTRALE_VAT_NUMBER", "FR17255001588"),
        iban=_env("CENTRALE_IBAN", "FR7630001007941234567890185"),
        bic=_env("CENTRALE_BIC", "BDFEFRPPCCT"),
        email=_env("CENTRALE_EMAIL", "centrale@demo.centrale.test"),
        phone=_env("CENTRALE_PHONE", "02 33 00 00 00"),
        logo_path=_env("CENTRALE_LOGO", "img/logo-centrale.svg"),
    )
    _validate_identity(identity)
    return identity


def _validate_identity(identity: CentraleIdentity) -> None:
    if not stdnum_siren.is_valid(identity.siren):
        raise ConfigurationError(
            f"CENTRALE_SIREN={identity.siren!r} is not a valid SIREN (9 digits, Luhn checksum)."
        )
    if not stdnum_siret.is_valid(identity.siret) or not identity.siret.startswith(identity.siren):
        raise ConfigurationError(
            f"CENTRALE_SIRET={identity.siret!r} is not a valid SIRET of SIREN {identity.siren}."
        )
    expected_vat = "FR" + stdnum_siren.to_tva(identity.siren)
    if identity.vat_number != expected_vat:
        raise ConfigurationError(
            f"CENTRALE_VAT_NUMBER={identity.vat_number!r} does not match SIREN {identity.siren}: "
            f"expected {expected_vat}."
        )
    if not stdnum_iban.is_valid(identity.iban):
        raise ConfigurationError("CENTRALE_IBAN is not a valid IBAN (checksum failed).")
    if not stdnum_bic.is_valid(identity.bic):
        raise ConfigurationError(
            f"CENTRALE_BIC={identity.bic!r} is not a valid BIC (8 or 11 characters, for example BDFEFRPPCCT)."
        )


def default_database_url() -> str:
    return f"sqlite:///{INSTANCE_DIR / 'centrale.sqlite3'}"


def _validated_database_url(url: str) -> str:
    """Return ``url`` when SQLAlchemy can parse it and it names SQLite or PostgreSQL."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(
            "DATABASE_URL is not a database URL: use sqlite:///path/to/file.sqlite3 or "
            "postgresql://user@host:5432/name."
        ) from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, not {parsed.drivername!r}."
        )
    if parsed.get_backend_name() == "postgresql" and not parsed.database:
        raise ConfigurationError(
            "DATABASE_URL names no PostgreSQL database: add it after the host, "
            "for example postgresql://user@127.0.0.1:5432/centrale."
        )
    return url


STRIPE_PAYMENT_METHODS = ("card", "sepa_debit", "customer_balance")


def load_stripe_settings() -> dict:
    """Read the optional Stripe settings; without STRIPE_SECRET_KEY online payment is off.

    Raises ConfigurationError when a key comes without its webhook secret, when a payment
    method is unknown or when STRIPE_API_BASE is not an http(s) address.
    """
    secret_key = _env("STRIPE_SECRET_KEY")
    webhook_secret = _env("STRIPE_WEBHOOK_SECRET")
    if secret_key and not webhook_secret:
        raise ConfigurationError(
            "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is missing: set both (the webhook "
            "signing secret whsec_... of the endpoint /payments/stripe/webhook), or neither to "
            "turn online payment off."
        )
    methods_text = _env("STRIPE_PAYMENT_METHODS", "card,sepa_debit")
    methods = tuple(method.strip() for method in methods_text.split(",") if method.strip())
    unknown = [method for method in methods if method not in STRIPE_PAYMENT_METHODS]
    if unknown or not methods:
        raise ConfigurationError(
            f"STRIPE_PAYMENT_METHODS={methods_text!r} is invalid: give a comma-separated list of "
            f"{', '.join(STRIPE_PAYMENT_METHODS)}, for example card,sepa_debit."
        )
    api_base = _env("STRIPE_API_BASE")
    if api_base is not None and not api_base.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"STRIPE_API_BASE={api_base!r} is invalid: give an http(s) address such as "
            "http://127.0.0.1:12111, or leave it unset to use Stripe's own API."
        )
    return {
        "STRIPE_SECRET_KEY": secret_key,
        "STRIPE_WEBHOOK_SECRET": webhook_secret,
        "STRIPE_PAYMENT_METHODS": methods,
        # None means Stripe's own API; tests point it at a fake server on 127.0.0.1.
        "STRIPE_API_BASE": api_base.rstrip("/") if api_base else None,
    }


def build_config(overrides: dict | None = None) -> dict:
    """Build the Flask configuration from the environment, then apply overrides (tests).

    Raises ConfigurationError with the variable's name when a value is invalid.
    """
    env_name = _env("CENTRALE_ENV", "development")
    if env_name not in ("development", "production", "testing"):
        raise ConfigurationError(
            f"CENTRALE_ENV={env_name!r} is invalid: use development, production or testing."
        )

    secret_key = _env("SECRET_KEY")
    if secret_key is None:
        if env_name == "production":
            raise ConfigurationError(
                "SECRET_KEY is required in production: set it to a long random string, "
                "for example the output of: python -c 'import secrets; print(secrets.token_hex(32))'."
            )
        secret_key = DEVELOPMENT_SECRET_KEY
    elif env_name == "production" and len(secret_key) < 32:
        raise ConfigurationError("SECRET_KEY is too short for production: use at least 32 characters.")

    database_url = _env("DATABASE_URL", default_database_url())
    if database_url.startswith("postgres://"):
        # SQLAlchemy accepts only the postgresql:// scheme that libpq also documents.
        database_url = "postgresql://" + database_url[len("postgres://"):]
    database_url = _validated_database_url(database_url)

    try:
        mail_port = int(_env("MAIL_PORT", "25"))
    except ValueError as exc:
        raise ConfigurationError("MAIL_PORT must be a whole number, for example 25 or 587.") from exc

    mail_delivery = _env("MAIL_DELIVERY", "smtp" if env_name == "production" else "outbox")
    if mail_delivery not in ("outbox", "smtp"):
        raise ConfigurationError(
            f"MAIL_DELIVERY={mail_delivery!r} is invalid: use outbox (keep e-mails on the admin "
            "outbox page) or smtp (send them through MAIL_SERVER)."
        )
    public_base_url = (_env("PUBLIC_BASE_URL", "http://127.0.0.1:5000") or "").rstrip("/")
    if not public_base_url.startswith(("http://", "https://")):
        raise ConfigurationError(
            f"PUBLIC_BASE_URL={public_base_url!r} is invalid: give the address users open, "
            "for example https://centrale.example.fr."
        )
    renewal_start = _env("RENEWAL_START", "06-01")
    try:
        renewal_month, renewal_day = (int(part) for part in renewal_start.split("-"))
        date(2001, renewal_month, renewal_day)
    except ValueError as exc:
        raise ConfigurationError(
            f"RENEWAL_START={renewal_start!r} is invalid: give a month and day as MM-DD, for example 06-01."
        ) from exc

    stripe_settings = load_stripe_settings()

    config = {
        "CENTRALE_ENV": env_name,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        # hide_parameters keeps bound values (password hashes, personal data) out of error texts.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
        "SUPPORTED_LOCALES": ("fr", "en"),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env_name == "production",
        "MAX_CONTENT_LENGTH": 20 * 1024 * 1024,
        "CENTRALE_IDENTITY": load_identity(),
        "CENTRALE_DEMO_PASSWORD": _env("CENTRALE_DEMO_PASSWORD", "demo-centrale"),
        "MAIL_SERVER": _env("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": mail_port,
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_USE_TLS": (_env("MAIL_USE_TLS", "false") or "").lower() in ("1", "true", "yes"),
        "MAIL_DEFAULT_SENDER": _env("MAIL_DEFAULT_SENDER", "Centrale <centrale@demo.centrale.test>"),
        # outbox: e-mails stay in the outbox, readable on the admin page; smtp: the outbox job sends them.
        "MAIL_DELIVERY": mail_delivery,
        # The address users open, used for the absolute links in e-mails.
        "PUBLIC_BASE_URL": public_base_url,
        # (month, day) from which the daily renewal job prepares next school year's renewals.
        "RENEWAL_START": (renewal_month, renewal_day),
        "TESTING": env_name == "testing",
        **stripe_settings,
    }
    if overrides:
        config.update(overrides)
    return config
