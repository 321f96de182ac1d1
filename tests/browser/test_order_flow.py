"""The whole order flow in a browser: a buyer orders for a Saint-Lô school, the approver
approves, and the purchase order PDF carries the order's number, school, member and totals."""

import re
from io import BytesIO

from playwright.sync_api import expect
from pypdf import PdfReader

from app.money import parse_decimal

from .conftest import assert_accessible, log_in, log_out

SAINT_LO_SIREN = "215005026"
SCHOOL_NAME = "École primaire Les Palliers"
SCHOOL_UAI = "0501250M"
# Three units of sale: per pupil account, per class and per training day.
PRODUCTS = (
    ("ENT-ELEVE", ""),  # empty: the proposed quantity, the school's 108 pupils
    ("ENT-CLASSE", ""),  # empty: the proposed quantity, the school's 6 classes
    ("FOR-ADMIN-ENT", "2"),
)
ENGAGEMENT_NUMBER = "EJ-2026-0042"


def normalise_spaces(text: str) -> str:
    """Turn the no-break spaces of French amounts into plain ones, as PDF text extraction varies."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def add_product(page, reference: str, quantity: str) -> None:
    option = page.locator("#product_id option", has_text=f"({reference})")
    add_form = page.locator("form[action$='/cart/add']")
    add_form.get_by_label("Produit").select_option(option.get_attribute("value"))
    add_form.get_by_label("Quantité").fill(quantity)
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter au panier").click()
    expect(page.locator(".flash-success")).to_contain_text("ajouté")


def fill_chorus_references(page) -> None:
    service_code = page.locator("#service_code")
    if service_code.evaluate("element => element.tagName") == "SELECT":
        values = [value for value in service_code.locator("option").evaluate_all("options => options.map(o => o.value)") if value]
        service_code.select_option(values[0])
    else:
        service_code.fill("ECOLES")
    page.locator("#engagement_number").fill(ENGAGEMENT_NUMBER)


def totals_on_page(page) -> dict[str, str]:
    rows = page.locator("tfoot tr")
    totals = {}
    for index in range(rows.count()):
        label = rows.nth(index).locator("th").inner_text().strip()
        totals[label] = normalise_spaces(rows.nth(index).locator("td").inner_text().strip())
    return totals


def test_order_submit_approve_and_pdf(page):
    log_in(page, "acheteur@demo.centrale.test")
    assert_accessible(page)

    page.goto("/orders/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choisir une école")
    assert_accessible(page)
    page.get_by_role("link", name=f"Commander pour {SCHOOL_NAME}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Panier – {SCHOOL_NAME}")
    assert_accessible(page)

    for reference, quantity in PRODUCTS:
        add_product(page, reference, quantity)
    assert_accessible(page)
    quantity_inputs = page.locator("section[aria-labelledby='lines-heading'] input[name='quantity']")
    expect(quantity_inputs).to_have_count(3)
    quantities = [quantity_inputs.nth(index).input_value() for index in range(3)]
    assert sorted(quantities) == ["108", "2", "6"]

    fill_chorus_references(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Soumettre la commande").click()
    heading = page.get_by_role("heading", level=1).inner_text()
    # The demo data already contains orders, so only the number's form is known in advance.
    number = re.search(r"BC-\d{4}-\d{5}", heading).group(0)
    order_url = page.url
    assert_accessible(page)
    totals = totals_on_page(page)
    # Volume tiers make the unit prices depend on what the demo members already ordered, so the
    # totals are checked against the order's own lines rather than against fixed amounts.
    lines_table = page.locator("table", has=page.get_by_role("columnheader", name="Désignation"))
    net_amount_cells = lines_table.locator("tbody tr td:nth-child(6)")
    line_amounts = [parse_decimal(amount) for amount in net_amount_cells.all_inner_texts()]
    assert len(line_amounts) == 3
    net = parse_decimal(totals["Total HT"])
    vat = parse_decimal(totals["Total TVA"])
    assert net == sum(line_amounts)
    assert parse_decimal(totals["Total TTC"]) == net + vat
    assert vat > 0
    log_out(page)

    log_in(page, "valideur@demo.centrale.test")
    page.goto(order_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Valider la commande").click()
    expect(page.locator(".flash-success")).to_contain_text(number)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Validée")
    assert totals_on_page(page) == totals
    assert_accessible(page)

    # The link opens the PDF inline, so it is fetched with the page's cookies instead.
    pdf_link = page.get_by_role("button", name="Télécharger le bon de commande (PDF)")
    response = page.context.request.get(pdf_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(BytesIO(response.body()))
    text = normalise_spaces("\n".join(pdf_page.extract_text() for pdf_page in reader.pages))

    assert number in text
    assert SCHOOL_UAI in text
    assert SAINT_LO_SIREN in text
    assert ENGAGEMENT_NUMBER in text
    for amount in totals.values():
        assert amount in text
