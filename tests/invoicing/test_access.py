"""Who can see which invoice: members their own, finance all, catalogue managers none."""

from datetime import date

import pytest

from app.auth.roles import Role
from app.extensions import db
from invoicing import services

MEMBER_ROUTES = ("/invoices/{id}", "/invoices/{id}/pdf", "/invoices/{id}/xml")
FINANCE_POSTS = (
    "/invoices/{id}/edit", "/invoices/{id}/lines", "/invoices/{id}/lines/1", "/invoices/{id}/lines/1/remove",
    "/invoices/{id}/delete", "/invoices/{id}/issue", "/invoices/{id}/credit-note", "/invoices/{id}/payments",
)
FINANCE_PAGES = ("/invoices/to-invoice", "/invoices/overdue", "/invoices/exports", "/invoices/payments/import")


@pytest.fixture
def issued_invoice(invoicing_data, finance_user):
    order = invoicing_data.approved_order()
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    invoice = services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))
    db.session.commit()
    return invoice


def test_member_sees_own_invoice(issued_invoice, factories, login):
    client = login(factories.user(Role.APPROVER, member=issued_invoice.member))

    assert client.get("/invoices").status_code == 200
    assert issued_invoice.number in client.get("/invoices").get_data(as_text=True)
    pdf = client.get(f"/invoices/{issued_invoice.id}/pdf")
    assert pdf.status_code == 200
    assert pdf.data == issued_invoice.pdf_data


@pytest.mark.parametrize("route", MEMBER_ROUTES)
def test_other_member_gets_404(issued_invoice, factories, login, route):
    client = login(factories.user(Role.BUYER, member=factories.member()))

    assert client.get(route.format(id=issued_invoice.id)).status_code == 404
    assert issued_invoice.number not in client.get("/invoices").get_data(as_text=True)


@pytest.mark.parametrize("route", FINANCE_POSTS)
def test_member_cannot_post_finance_actions(issued_invoice, factories, login, route):
    client = login(factories.user(Role.BUYER, member=issued_invoice.member))

    assert client.post(route.format(id=issued_invoice.id)).status_code == 403


@pytest.mark.parametrize("route", FINANCE_PAGES + ("/invoices",))
def test_catalog_manager_gets_403(factories, login, route):
    client = login(factories.user(Role.CATALOG_MANAGER))

    assert client.get(route).status_code == 403


@pytest.mark.parametrize("route", FINANCE_PAGES + ("/invoices",))
def test_finance_pages_open(issued_invoice, factories, login, route):
    client = login(factories.user(Role.FINANCE))

    assert client.get(route).status_code == 200


def test_member_does_not_see_drafts(invoicing_data, finance_user, factories, login):
    order = invoicing_data.approved_order()
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    db.session.commit()
    client = login(factories.user(Role.BUYER, member=order.member))

    assert client.get(f"/invoices/{draft.id}").status_code == 404


def test_finance_issues_through_the_form(invoicing_data, finance_user, login):
    order = invoicing_data.approved_order()
    db.session.commit()
    client = login(finance_user)

    response = client.post("/invoices/drafts", data={"order_id": str(order.id), "grouping": "order"})
    assert response.status_code == 302
    draft_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/invoices/{draft_id}/issue").status_code == 302
    page = client.get(f"/invoices/{draft_id}").get_data(as_text=True)
    assert "FA-2026-00001" in page

    export = client.get("/invoices/exports", query_string={"date_from": "2026-01-01", "date_to": "2026-12-31", "export_format": "csv"})
    assert export.status_code == 200
    assert b"FA-2026-00001" in export.data


def test_service_hides_invoice_from_catalog_manager(issued_invoice, factories):
    from app.errors import NotFound

    manager = factories.user(Role.CATALOG_MANAGER)
    finance = factories.user(Role.FINANCE)

    assert services.can_see_invoice(finance, issued_invoice) is True
    assert services.can_see_invoice(manager, issued_invoice) is False
    with pytest.raises(NotFound):
        services.get_invoice_for_user(manager, issued_invoice.id)
