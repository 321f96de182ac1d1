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
