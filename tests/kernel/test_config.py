"""Settings read from the environment: each invalid value fails at start, naming its variable."""

import pytest

from app.config import DEVELOPMENT_SECRET_KEY, ConfigurationError, build_config

SETTINGS_VARIABLES = (
    "CENTRALE_ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "CENTRALE_SIREN",
    "CENTRALE_SIRET",
    "CENTRALE_VAT_NUMBER",
    "CENTRALE_IBAN",
    "CENTRALE_BIC",
    "MAIL_PORT",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_development_defaults(clean_environment):
    config = build_config()

    assert config["CENTRALE_ENV"] == "development"
    assert config["SECRET_KEY"] == DEVELOPMENT_SECRET_KEY
    assert config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert config["SQLALCHEMY_DATABASE_URI"].endswith("instance/centrale.sqlite3")
    assert config["BABEL_DEFAULT_LOCALE"] == "fr"
    assert config["CENTRALE_IDENTITY"].siren == "255001588"


def test_production_requires_secret_key(clean_environment):
    clean_environment.setenv("CENTRALE_ENV", "production")

    with pytest.raises(ConfigurationError) as error:
        build_config()

    assert "SECRET_KEY is required in production" in str(error.value)
    assert "secrets.token_hex(32)" in str(error.value)


def test_production_rejects_short_secret_key(clean_environment):
    clean_environment.setenv("CENTRALE_ENV", "production")
    clean_environment.setenv("SECRET_KEY", "too-short")

    with pytest.raises(ConfigurationError, match="SECRET_KEY is too short"):
        build_config()


def test_production_settings(clean_environment):
    clean_environment.setenv("CENTRALE_ENV", "production")
    clean_environment.setenv("SECRET_KEY", "x" * 64)

    config = build_config()

    assert config["SECRET_KEY"] == "x" * 64
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["TESTING"] is False


def test_unknown_environment_rejected(clean_environment):
    clean_environment.setenv("CENTRALE_ENV", "staging")

    with pytest.raises(ConfigurationError, match="CENTRALE_ENV='staging' is invalid"):
        build_config()


@pytest.mark.parametrize(
    "url, message",
    [
        ("mysql://user@127.0.0.1/centrale", "DATABASE_URL must be a sqlite:/// or postgresql:// URL, not 'mysql'"),
        ("not a url", "DATABASE_URL is not a database URL"),
        ("postgresql://postgres@127.0.0.1:5432", "DATABASE_URL names no PostgreSQL database"),
    ],
)
def test_bad_database_url_rejected(clean_environment, url, message):
    clean_environment.setenv("DATABASE_URL", url)

    with pytest.raises(ConfigurationError) as error:
        build_config()

    assert message in str(error.value)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("postgres://postgres@127.0.0.1/centrale", "postgresql://postgres@127.0.0.1/centrale"),
        ("postgresql+psycopg://postgres@127.0.0.1/centrale", "postgresql+psycopg://postgres@127.0.0.1/centrale"),
        ("sqlite:////var/lib/centrale/centrale.sqlite3", "sqlite:////var/lib/centrale/centrale.sqlite3"),
    ],
)
def test_database_url_accepted(clean_environment, url, expected):
    clean_environment.setenv("DATABASE_URL", url)

    assert build_config()["SQLALCHEMY_DATABASE_URI"] == expected


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("CENTRALE_SIREN", "255001589", "CENTRALE_SIREN='255001589' is not a valid SIREN"),
        ("CENTRALE_SIREN", "25500158", "CENTRALE_SIREN='25500158' is not a valid SIREN"),
        ("CENTRALE_SIRET", "25500158800004", "CENTRALE_SIRET='25500158800004' is not a valid SIRET"),
        # A SIRET that passes its checksum but belongs to another SIREN (Saint-Lô, 215005026).
        ("CENTRALE_SIRET", "21500502600012", "is not a valid SIRET of SIREN 255001588"),
        ("CENTRALE_VAT_NUMBER", "FR18255001588", "expected FR17255001588"),
        ("CENTRALE_IBAN", "FR7630001007941234567890186", "CENTRALE_IBAN is not a valid IBAN"),
        ("CENTRALE_BIC", "BDF1", "CENTRALE_BIC='BDF1' is not a valid BIC"),
        ("MAIL_PORT", "twenty-five", "MAIL_PORT must be a whole number"),
    ],
)
def test_bad_identity_variable_named(clean_environment, variable, value, message):
    clean_environment.setenv(variable, value)

    with pytest.raises(ConfigurationError) as error:
        build_config()

    assert message in str(error.value)


def test_identity_variables_read(clean_environment):
    # Saint-Lô (SIREN 215005026), with a SIRET and VAT number that pass their checksums.
    clean_environment.setenv("CENTRALE_SIREN", "215005026")
    clean_environment.setenv("CENTRALE_SIRET", "21500502600012")
    clean_environment.setenv("CENTRALE_VAT_NUMBER", "FR10215005026")

    identity = build_config()["CENTRALE_IDENTITY"]

    assert identity.siren == "215005026"
    assert identity.siret == "21500502600012"
    assert identity.vat_number == "FR10215005026"


def test_overrides_win_over_environment(clean_environment):
    clean_environment.setenv("DATABASE_URL", "sqlite:////tmp/from-environment.sqlite3")

    config = build_config({"SQLALCHEMY_DATABASE_URI": "sqlite:////tmp/override.sqlite3"})

    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite:////tmp/override.sqlite3"
