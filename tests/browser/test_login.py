"""The login page, the accessibility statement and the error pages in a real browser."""

import re

from playwright.sync_api import expect

from .conftest import assert_accessible, log_in, log_out


def test_login_page_in_french(page):
    page.goto("/login")

    expect(page).to_have_title(re.compile(r"^Se connecter – "))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion à Centrale")
    expect(page.get_by_label("Adresse e-mail")).to_be_visible()
    expect(page.get_by_label("Mot de passe")).to_be_visible()
    assert_accessible(page)


def test_login_wrong_password_message(page):
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill("acheteur@demo.centrale.test")
    page.get_by_label("Mot de passe").fill("not-the-password")

    page.get_by_role("button", name="Se connecter").click()

    expect(page.locator(".flash-error")).to_have_text("Adresse e-mail ou mot de passe incorrect.")
    assert_accessible(page)


def test_login_missing_fields_named(page):
    page.goto("/login")

    page.get_by_role("button", name="Se connecter").click()

    expect(page.locator(".form-errors")).to_contain_text("Saisissez votre adresse e-mail.")
    expect(page.get_by_label("Adresse e-mail")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_login_and_logout(page):
    log_in(page, "admin@demo.centrale.test")

    assert "/login" not in page.url
    assert_accessible(page)

    log_out(page)

    expect(page.locator(".flash")).to_have_text("Vous êtes déconnecté.")
    page.goto("/account/password")
    assert "/login" in page.url


def test_password_page_accessible(page):
    log_in(page, "finance@demo.centrale.test")

    page.goto("/account/password")

    expect(page.get_by_role("heading", level=1)).to_have_text("Changer mon mot de passe")
    assert_accessible(page)


def test_accessibility_statement(page):
    page.goto("/accessibilite")

    expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration d'accessibilité")
    assert_accessible(page)


def test_error_page_404(page):
    response = page.goto("/no-such-page")

    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page introuvable (404)")
    assert_accessible(page)


def test_error_page_405(page):
    response = page.goto("/logout")

    assert response.status == 405
    expect(page.get_by_role("heading", level=1)).to_have_text("Méthode non autorisée (405)")
    assert_accessible(page)


def test_error_page_403(page):
    log_in(page, "acheteur@demo.centrale.test")

    response = page.goto("/members")

    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé (403)")
    assert_accessible(page)


def test_language_switch_to_english(page):
    page.goto("/login")

    page.get_by_role("button", name="English").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Centrale")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page)


def test_axe_helper_reports_violations(page):
    # An image without a text alternative is a critical violation (rule image-alt).
    page.set_content('<!doctype html><html lang="fr"><title>t</title><main><img src="x.png"></main></html>')

    try:
        assert_accessible(page)
    except AssertionError as error:
        report = str(error)
    else:
        report = ""

    assert "image-alt (critical)" in report
    assert "    img" in report
