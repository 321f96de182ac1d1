"""Finance in a browser: the payments trail, a credit note on a partly paid invoice and the
overpayments list, each page checked with axe-core."""

from playwright.sync_api import expect

from .conftest import assert_accessible, log_in

FINANCE_EMAIL = "finance@demo.centrale.test"


def open_partly_paid_invoice(page) -> None:
    page.goto("/invoices?status=partly_paid")
    with page.expect_navigation():
        page.locator("table a", has_text="FA-").first.click()


def test_payment_trail_and_credit_note_warning(page):
    log_in(page, FINANCE_EMAIL)
    open_partly_paid_invoice(page)

    expect(page.get_by_role("button", name="Annuler ce paiement").first).to_be_visible()
    expect(page.locator("input[name=form_token]")).to_have_count(1)
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Préparer un avoir").click()
    expect(page.get_by_role("alert").filter(has_text="Attention")).to_contain_text("l'adhérent a déjà payé")
    expect(page.get_by_label("J'accepte que")).to_be_visible()
    assert_accessible(page)


def test_overpayments_page_accessible(page):
    log_in(page, FINANCE_EMAIL)
    page.goto("/invoices/overdue")

    expect(page.get_by_role("heading", name="Trop-perçus à rembourser")).to_be_visible()
    assert_accessible(page)
