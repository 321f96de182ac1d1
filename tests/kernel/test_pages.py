"""Pages every visitor can see: French by default, the language switch, headers and error pages."""

import pytest

from app.auth.roles import Role

from ..conftest import DEMO_PASSWORD


def test_login_page_french_by_default(client):
    html = client.get("/login").get_data(as_text=True)

    assert '<html lang="fr">' in html
    assert "<h1>Connexion à Centrale</h1>" in html
    assert '<label for="email">Adresse e-mail' in html
    assert '<label for="password">Mot de passe' in html
    assert "Aller au contenu" in html


def test_login_page_ignores_browser_language(client):
    html = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)

    assert "<h1>Connexion à Centrale</h1>" in html


def test_language_switch_to_english_and_back(client):
    switched = client.post("/language/en", data={"next": "/login"})

    assert switched.status_code == 302
    assert switched.headers["Location"] == "/login"
    english = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "<h1>Log in to Centrale</h1>" in english
    assert '<button type="submit" class="link-button" lang="fr">Français</button>' in english

    client.post("/language/fr", data={"next": "/login"})

    assert "<h1>Connexion à Centrale</h1>" in client.get("/login").get_data(as_text=True)


def test_language_switch_offers_english(client):
    html = client.get("/login").get_data(as_text=True)

    assert 'action="/language/en"' in html
    assert '<button type="submit" class="link-button" lang="en">English</button>' in html


def test_language_switch_unknown_code_ignored(client):
    client.post("/language/de", data={"next": "/login"})

    assert "<h1>Connexion à Centrale</h1>" in client.get("/login").get_data(as_text=True)


def test_language_switch_next_off_site_ignored(client):
    response = client.post("/language/en", data={"next": "https://evil.example/"})

    assert response.headers["Location"] == "/"


def test_language_stored_for_user(app, login, factories):
    user = factories.user(Role.BUYER)
    client = login(user)

    client.post("/language/en", data={"next": "/account/password"})

    assert user.locale == "en"
    # A new session of the same user starts in the chosen language.
    other_device = app.test_client()
    other_device.post("/login", data={"email": user.email, "password": DEMO_PASSWORD})
    assert "Change my password" in other_device.get("/account/password").get_data(as_text=True)


@pytest.mark.parametrize(
    "header, value",
    [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        (
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; frame-ancestors 'none'",
        ),
    ],
)
def test_security_header(client, header, value):
    response = client.get("/login")

    assert response.headers[header] == value


def test_no_hsts_outside_production(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_session_cookie_flags(client, factories):
    user = factories.user(Role.BUYER)

    response = client.post("/login", data={"email": user.email, "password": DEMO_PASSWORD})

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_accessibility_statement_in_french(client):
    html = client.get("/accessibilite").get_data(as_text=True)

    assert "<h1>Déclaration d'accessibilité</h1>" in html
    assert "RGAA 4.1" in html


def test_health_check(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_error_404_in_french(client):
    response = client.get("/no-such-page")

    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "<h1>Page introuvable (404)</h1>" in html
    assert "Cette page n'existe pas" in html
    assert '<html lang="fr">' in html


def test_error_405_in_french(client):
    response = client.get("/logout")

    assert response.status_code == 405
    assert "<h1>Méthode non autorisée (405)</h1>" in response.get_data(as_text=True)


def test_error_403_in_french(probe_client, factories):
    buyer = factories.user(Role.BUYER)
    probe_client.post("/login", data={"email": buyer.email, "password": DEMO_PASSWORD})

    response = probe_client.get("/probe/admin-only")

    html = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "<h1>Accès refusé (403)</h1>" in html
    assert "Votre rôle ne permet pas cette action." in html


def test_error_500_in_french(probe_client, caplog):
    response = probe_client.get("/probe/failure")

    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<h1>Erreur interne (500)</h1>" in html
    assert "Une erreur s'est produite de notre côté." in html
    assert "probe failure" not in html
    assert "Internal error on GET /probe/failure" in caplog.text
