"""Login, throttling, logout, password change and session revocation through the real forms."""

import logging
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from app.auth.models import LoginAttempt, UserSession
from app.auth.passwords import verify_password
from app.auth.roles import Role
from app.auth.services import FAILURE_WINDOW, MAX_FAILURES
from app.extensions import db
from app.timeutils import utcnow

from ..conftest import DEMO_PASSWORD

PROTECTED_PAGE = "/account/password"
NEW_PASSWORD = "a-new-and-long-password"


def post_login(client, email, password, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def attempts_for(email):
    return db.session.scalar(select(func.count(LoginAttempt.id)).where(LoginAttempt.email == email))


def test_login_page_has_the_form(client):
    response = client.get("/login")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<input id="email" name="email" required type="email" value="">' in html
    assert '<input id="password" name="password" required type="password" value="">' in html
    assert '<label for="email">' in html
    assert '<label for="password">' in html


def test_login_succeeds(client, factories):
    user = factories.user(Role.BUYER)

    response = post_login(client, user.email, DEMO_PASSWORD)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get(PROTECTED_PAGE).status_code == 200
    live_sessions = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert len(live_sessions) == 1
    assert live_sessions[0].revoked_at is None
    assert user.last_login_at is not None


def test_login_email_is_case_insensitive(client, factories):
    user = factories.user(Role.BUYER, email="Marie.Durand@example.test")

    response = post_login(client, "  MARIE.DURAND@example.test ", DEMO_PASSWORD)

    assert user.email == "marie.durand@example.test"
    assert response.status_code == 302


def test_login_wrong_password(client, factories):
    user = factories.user(Role.BUYER)

    response = post_login(client, user.email, "not-the-password")

    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)
    assert client.get(PROTECTED_PAGE).status_code == 302
    assert attempts_for(user.email) == 1


def test_login_unknown_email_same_message(client):
    response = post_login(client, "nobody@example.test", "whatever-password")

    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)


def test_login_inactive_account_refused(client, factories):
    user = factories.user(Role.BUYER)
    user.is_active_account = False
    db.session.flush()

    response = post_login(client, user.email, DEMO_PASSWORD)

    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.get_data(as_text=True)


def test_login_empty_fields_named(client):
    response = client.post("/login", data={"email": "", "password": ""})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Saisissez votre adresse e-mail." in html
    assert "Saisissez votre mot de passe." in html


def test_login_throttled_after_five_failures(client, factories, caplog):
    user = factories.user(Role.BUYER)
    for _ in range(MAX_FAILURES):
        assert post_login(client, user.email, "wrong-password").status_code == 200

    with caplog.at_level(logging.WARNING, logger="app.auth.services"):
        response = post_login(client, user.email, DEMO_PASSWORD)

    assert MAX_FAILURES == 5
    assert response.status_code == 429
    assert "Trop de connexions échouées" in response.get_data(as_text=True)
    assert "patientez 15 minutes" in response.get_data(as_text=True)
    assert client.get(PROTECTED_PAGE).status_code == 302
    assert attempts_for(user.email) == MAX_FAILURES + 1
    assert f"Login throttled for {user.email}" in caplog.text


def test_login_failures_logged(client, factories, caplog):
    user = factories.user(Role.BUYER)

    with caplog.at_level(logging.WARNING, logger="app.auth.services"):
        post_login(client, user.email, "wrong-password")

    assert f"Failed login for {user.email}" in caplog.text
    assert "wrong-password" not in caplog.text


def test_login_four_failures_not_throttled(client, factories):
    user = factories.user(Role.BUYER)
    for _ in range(MAX_FAILURES - 1):
        post_login(client, user.email, "wrong-password")

    assert post_login(client, user.email, DEMO_PASSWORD).status_code == 302


def test_login_old_failures_expire(client, factories):
    user = factories.user(Role.BUYER)
    long_ago = utcnow() - FAILURE_WINDOW - timedelta(minutes=1)
    for _ in range(MAX_FAILURES):
        db.session.add(LoginAttempt(email=user.email, remote_addr="127.0.0.1", attempted_at=long_ago))
    db.session.flush()

    assert post_login(client, user.email, DEMO_PASSWORD).status_code == 302


def test_login_throttle_is_per_email(client, factories):
    locked_out = factories.user(Role.BUYER)
    other = factories.user(Role.BUYER)
    for _ in range(MAX_FAILURES):
        post_login(client, locked_out.email, "wrong-password")

    assert post_login(client, other.email, DEMO_PASSWORD).status_code == 302


def test_login_redirects_authenticated_user(login, factories):
    client = login(factories.user(Role.BUYER))

    response = client.get("/login")

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_anonymous_redirected_to_login(client):
    response = client.get(PROTECTED_PAGE)

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Faccount%2Fpassword"


def test_logout_requires_post(login, factories):
    client = login(factories.user(Role.BUYER))

    response = client.get("/logout")

    assert response.status_code == 405
    assert client.get(PROTECTED_PAGE).status_code == 200


def test_logout_revokes_server_session(login, factories):
    user = factories.user(Role.BUYER)
    client = login(user)
    old_cookie = client.get_cookie("session").value
    assert client.get(PROTECTED_PAGE).status_code == 200

    response = client.post("/logout")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    revoked = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert revoked.revoked_at is not None

    # Replaying the cookie captured before logout must not log the user back in.
    client.set_cookie("session", old_cookie)
    replayed = client.get(PROTECTED_PAGE)
    assert replayed.status_code == 302
    assert replayed.headers["Location"].startswith("/login")


def test_logout_message_in_french(login, factories):
    client = login(factories.user(Role.BUYER))

    response = client.post("/logout", follow_redirects=True)

    assert "Vous êtes déconnecté." in response.get_data(as_text=True)


def test_login_rotates_session(client, factories):
    user = factories.user(Role.BUYER)
    post_login(client, user.email, DEMO_PASSWORD)
    first_token = db.session.scalars(select(UserSession.token).where(UserSession.user_id == user.id)).one()
    client.post("/logout")

    post_login(client, user.email, DEMO_PASSWORD)

    tokens = db.session.scalars(select(UserSession.token).where(UserSession.user_id == user.id)).all()
    assert len(tokens) == 2
    assert first_token in tokens
    assert len(set(tokens)) == 2


def change_password(client, current, new, confirm=None):
    return client.post(
        PROTECTED_PAGE,
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


def test_password_change_too_short(login, factories):
    user = factories.user(Role.BUYER)
    client = login(user)

    response = change_password(client, DEMO_PASSWORD, "short")

    assert response.status_code == 200
    assert "Nouveau mot de passe trop court" in response.get_data(as_text=True)
    assert "au moins 12 caractères" in response.get_data(as_text=True)
    assert verify_password(user.password_hash, DEMO_PASSWORD)


def test_password_change_wrong_current(login, factories):
    user = factories.user(Role.BUYER)
    client = login(user)

    response = change_password(client, "not-my-password", NEW_PASSWORD)

    assert response.status_code == 200
    assert "Mot de passe actuel erroné" in response.get_data(as_text=True)
    assert verify_password(user.password_hash, DEMO_PASSWORD)


def test_password_change_mismatch(login, factories):
    user = factories.user(Role.BUYER)
    client = login(user)

    response = change_password(client, DEMO_PASSWORD, NEW_PASSWORD, confirm=NEW_PASSWORD + "x")

    assert response.status_code == 200
    assert "Les deux nouveaux mots de passe diffèrent" in response.get_data(as_text=True)
    assert verify_password(user.password_hash, DEMO_PASSWORD)


def test_password_change_revokes_other_sessions(app, login, factories):
    user = factories.user(Role.BUYER)
    other_device = app.test_client()
    assert post_login(other_device, user.email, DEMO_PASSWORD).status_code == 302
    client = login(user)

    response = change_password(client, DEMO_PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    assert verify_password(user.password_hash, NEW_PASSWORD)
    assert client.get(PROTECTED_PAGE).status_code == 200
    assert other_device.get(PROTECTED_PAGE).status_code == 302
    live = db.session.scalar(
        select(func.count(UserSession.id)).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    )
    assert live == 1


def test_new_password_logs_in(app, login, factories):
    user = factories.user(Role.BUYER)
    change_password(login(user), DEMO_PASSWORD, NEW_PASSWORD)
    fresh = app.test_client()

    assert post_login(fresh, user.email, DEMO_PASSWORD).status_code == 200
    assert post_login(fresh, user.email, NEW_PASSWORD).status_code == 302


def test_argon2id_parameters(factories):
    user = factories.user(Role.FINANCE)

    # m is in KiB (19 MiB), t the number of passes, p the lanes.
    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_weak_hash_upgraded_at_login(client, factories):
    user = factories.user(Role.BUYER)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(DEMO_PASSWORD)
    db.session.flush()

    assert post_login(client, user.email, DEMO_PASSWORD).status_code == 302

    assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "/\t/evil.example/",
        "javascript:alert(1)",
        "http:/evil.example",
        "evil.example",
    ],
)
def test_login_next_off_site_ignored(client, factories, target):
    user = factories.user(Role.BUYER)

    response = post_login(client, user.email, DEMO_PASSWORD, next=target)

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_next_local_path_kept(client, factories):
    user = factories.user(Role.BUYER)
    client.get("/login?next=/account/password")

    response = post_login(client, user.email, DEMO_PASSWORD, next="/account/password?tab=1")

    assert response.headers["Location"] == "/account/password?tab=1"


def test_login_form_carries_next(client):
    html = client.get("/login?next=/account/password").get_data(as_text=True)

    assert 'name="next" type="hidden" value="/account/password"' in html


def test_roles_required_forbids_other_roles(probe_client, factories):
    buyer = factories.user(Role.BUYER)
    post_login(probe_client, buyer.email, DEMO_PASSWORD)

    response = probe_client.get("/probe/admin-only")

    assert response.status_code == 403
    assert "Accès refusé" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "role, status",
    [
        (Role.ADMIN, 200),
        (Role.FINANCE, 200),
        (Role.CATALOG_MANAGER, 403),
        (Role.APPROVER, 403),
        (Role.BUYER, 403),
    ],
)
def test_roles_required_table(probe_client, factories, role, status):
    user = factories.user(role)
    post_login(probe_client, user.email, DEMO_PASSWORD)

    assert probe_client.get("/probe/finance-or-admin").status_code == status


def test_roles_required_sends_anonymous_to_login(probe_client):
    response = probe_client.get("/probe/admin-only")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fprobe%2Fadmin-only"
