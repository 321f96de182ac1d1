"""`flask users create`: the member rule of each role and the messages of each refusal."""

import pytest
from sqlalchemy import select

from app.auth.models import User
from app.auth.passwords import verify_password
from app.extensions import db

PASSWORD = "a-long-enough-password"


def create_user(app, *options):
    runner = app.test_cli_runner()
    return runner.invoke(args=["users", "create", "--password", PASSWORD, *options])


def user_with_email(email):
    return db.session.scalar(select(User).where(User.email == email))


def test_create_buyer_of_member(app, factories):
    member = factories.member(siren="215005026", name="Saint-Lô")

    result = create_user(app, "--email", "Buyer@Example.test", "--role", "buyer", "--member", "215005026")

    assert result.exit_code == 0, result.output
    assert "Utilisateur buyer@example.test créé avec le rôle «\u00a0Acheteur\u00a0»." in result.output
    user = user_with_email("buyer@example.test")
    assert user.role == "buyer"
    assert user.member_id == member.id
    assert verify_password(user.password_hash, PASSWORD)


def test_create_admin_without_member(app):
    result = create_user(app, "--email", "admin@example.test", "--role", "admin", "--name", "Anne Admin")

    assert result.exit_code == 0, result.output
    user = user_with_email("admin@example.test")
    assert user.member_id is None
    assert user.full_name == "Anne Admin"


@pytest.mark.parametrize("role, label", [("buyer", "Acheteur"), ("approver", "Valideur")])
def test_member_role_needs_member(app, role, label):
    result = create_user(app, "--email", "someone@example.test", "--role", role)

    assert result.exit_code == 1
    assert f"Le rôle «\u00a0{label}\u00a0» exige un adhérent" in result.output
    assert user_with_email("someone@example.test") is None


@pytest.mark.parametrize(
    "role, label",
    [("catalog_manager", "Gestionnaire du catalogue"), ("finance", "Finances"), ("admin", "Administrateur")],
)
def test_centrale_role_takes_no_member(app, factories, role, label):
    factories.member(siren="215005026")

    result = create_user(app, "--email", "staff@example.test", "--role", role, "--member", "215005026")

    assert result.exit_code == 1
    assert f"Le rôle «\u00a0{label}\u00a0» appartient à la centrale" in result.output
    assert user_with_email("staff@example.test") is None


def test_unknown_siren_named(app):
    result = create_user(app, "--email", "someone@example.test", "--role", "buyer", "--member", "200066389")

    assert result.exit_code == 1
    assert "Aucun adhérent n'a le SIREN 200066389" in result.output
    assert user_with_email("someone@example.test") is None


def test_unknown_role_rejected(app):
    result = create_user(app, "--email", "someone@example.test", "--role", "director")

    assert result.exit_code == 2
    assert "'director' is not one of" in result.output


def test_duplicate_email_rejected(app, factories):
    factories.user("admin", email="taken@example.test")

    result = create_user(app, "--email", "taken@example.test", "--role", "finance")

    assert result.exit_code == 1
    assert "Un utilisateur a déjà l'adresse e-mail taken@example.test." in result.output


def test_short_password_rejected(app):
    runner = app.test_cli_runner()

    result = runner.invoke(
        args=["users", "create", "--email", "short@example.test", "--role", "admin", "--password", "short"]
    )

    assert result.exit_code == 1
    assert "Mot de passe trop court" in result.output
    assert user_with_email("short@example.test") is None


def test_password_prompted_when_omitted(app):
    runner = app.test_cli_runner()

    result = runner.invoke(
        args=["users", "create", "--email", "prompted@example.test", "--role", "admin"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert verify_password(user_with_email("prompted@example.test").password_hash, PASSWORD)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--email", "a" * 300 + "@mairie.fr", "--role", "admin"],
         "L’adresse e-mail est trop longue (310 caractères) : 254 caractères au plus."),
        (["--email", "x" * 10_000, "--role", "admin"], "caractères au plus."),
        (["--email", "pas-une-adresse", "--role", "admin"], "L’adresse e-mail pas-une-adresse est invalide"),
        (["--email", "nom@mairie.fr", "--role", "admin", "--name", "N" * 5000],
         "Le nom est trop long (5000 caractères) : 200 caractères au plus."),
        (["--email", "nom@mairie.fr", "--role", "buyer", "--member", "211400016"], "Luhn"),
    ],
)
def test_bad_arguments_checked_before_prompt(app, options, message):
    runner = app.test_cli_runner()

    result = runner.invoke(args=["users", "create", *options], input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 1
    assert message in result.output
    assert "Password" not in result.output
    assert "Mot de passe" not in result.output
    assert db.session.scalar(select(User).where(User.role == "admin")) is None


def test_member_siren_with_spaces_is_normalised(app, factories):
    member = factories.member(siren="211400015", name="Ablon")

    result = create_user(app, "--email", "spaces@mairie.fr", "--role", "buyer", "--member", "211 400 015")

    assert result.exit_code == 0, result.output
    assert user_with_email("spaces@mairie.fr").member_id == member.id


def test_database_error_hides_password_hash(app, factories, monkeypatch, caplog):
    factories.user("admin", email="taken@mairie.fr")
    # Skip the duplicate check so that the insert itself fails on the unique e-mail index.
    monkeypatch.setattr("app.auth.services.check_user_details", lambda **fields: fields["email"].strip().lower())

    result = create_user(app, "--email", "taken@mairie.fr", "--role", "admin")

    assert result.exit_code == 1
    assert "n’a pas pu être enregistré dans la base de données (IntegrityError)" in result.output
    assert "$argon2" not in result.output
    assert "$argon2" not in caplog.text
    assert "taken@mairie.fr" not in caplog.text
