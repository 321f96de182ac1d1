"""A catalogue manager creates a product with pooled tiers, and a Saint-Lô buyer orders it.

The manager types every price with a decimal comma in the browser forms. The buyer finds the
product in the catalogue, reads its tier table in French and orders it for a school. The order
page must then show the line at the product's price. Every page visited is checked with axe-core.
"""

import re

from playwright.sync_api import expect

from .conftest import assert_accessible, log_in, log_out
from .test_order_flow import fill_chorus_references, normalise_spaces, totals_on_page

MANAGER_EMAIL = "catalogue@demo.centrale.test"
BUYER_EMAIL = "acheteur@demo.centrale.test"
REFERENCE = "MAT-CASQUE-USB"
NAME = "Casque audio USB pour la classe"
CONTRACT_NUMBER = "2025-MN-MAT-02"  # Numéribus Équipement, running until 31/08/2028
SCHOOL_NAME = "École primaire Jules Ferry"  # a Saint-Lô school that test_order_flow leaves alone
TIERS = (("1", "12,50"), ("100", "10,00"), ("500", "8,75"))
# The bands as the product page shows them: from, to, unit price excluding VAT.
EXPECTED_BANDS = [
    ["1 article(s)", "99 article(s)", "12,50 €"],
    ["100 article(s)", "499 article(s)", "10,00 €"],
    ["500 article(s)", "et plus", "8,75 €"],
]
QUANTITY = "24"
# No campaign pools the new product, so the order takes its catalogue price, 24 × 12,50 €.
EXPECTED_LINE_AMOUNT = "300,00 €"


def create_product(page) -> None:
    page.goto("/catalog/manage/products/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nouveau produit")
    assert_accessible(page)

    page.get_by_label(re.compile(r"^Référence")).fill(REFERENCE)
    page.get_by_label(re.compile(r"^Nom")).fill(NAME)
    page.get_by_label("Catégorie", exact=True).select_option(label="Matériel informatique")
    page.get_by_label("Unité de vente").select_option("item")
    contract_option = page.locator("#contract_id option", has_text=CONTRACT_NUMBER)
    page.get_by_label("Marché").select_option(contract_option.get_attribute("value"))
    page.get_by_label("Taux de TVA (%)").fill("20")
    page.get_by_label("Prix unitaire HT (€)").fill("12,50")
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer").click()

    expect(page.locator(".flash-success")).to_contain_text(REFERENCE)
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    assert_accessible(page)


def set_volume_tiers(page) -> None:
    with page.expect_navigation():
        page.get_by_role("link", name="Paliers mutualisés").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Paliers mutualisés – {NAME}")
    assert_accessible(page)

    page.get_by_label("Mode des paliers").select_option("volume")
    for index, (from_quantity, unit_price) in enumerate(TIERS, start=1):
        page.get_by_label(f"Palier {index} : à partir de la quantité").fill(from_quantity)
        page.get_by_label(f"Palier {index} : prix unitaire HT").fill(unit_price)
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer les paliers").click()

    expect(page.locator(".flash-success")).to_contain_text(REFERENCE)
    assert_accessible(page)


def bands_on_page(page) -> list[list[str]]:
    table = page.locator("section[aria-labelledby='tiers-heading'] table")
    rows = table.locator("tbody tr")
    return [
        [normalise_spaces(cell).strip() for cell in rows.nth(index).locator("td").all_inner_texts()]
        for index in range(rows.count())
    ]


def find_product_as_buyer(page) -> None:
    page.goto("/catalog")
    assert_accessible(page)
    page.get_by_role("searchbox", name="Rechercher").fill(REFERENCE)
    with page.expect_navigation():
        page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("table caption")).to_contain_text("1 produit")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name=NAME).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    assert_accessible(page)


def test_new_tiered_product_ordered(page):
    log_in(page, MANAGER_EMAIL)
    create_product(page)
    set_volume_tiers(page)
    assert bands_on_page(page) == EXPECTED_BANDS
    log_out(page)

    log_in(page, BUYER_EMAIL)
    find_product_as_buyer(page)
    expect(page.get_by_role("heading", name="Paliers de prix mutualisés")).to_be_visible()
    expect(page.get_by_text("Volume : toutes les unités au prix du palier atteint")).to_be_visible()
    assert bands_on_page(page) == EXPECTED_BANDS

    school_option = page.locator("#school_id option", has_text=SCHOOL_NAME)
    page.get_by_label("École").select_option(school_option.get_attribute("value"))
    page.get_by_label("Quantité").fill(QUANTITY)
    with page.expect_navigation():
        page.get_by_role("button", name="Ajouter au panier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Panier – {SCHOOL_NAME}")
    expect(page.locator(".flash-success")).to_contain_text(NAME)
    assert_accessible(page)

    fill_chorus_references(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Soumettre la commande").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"BC-\d{4}-\d{5}"))
    assert_accessible(page)

    line = page.locator("tbody tr", has=page.get_by_role("rowheader", name=NAME))
    expect(line).to_have_count(1)
    cells = [normalise_spaces(cell).strip() for cell in line.locator("td").all_inner_texts()]
    assert cells[0] == REFERENCE
    assert cells[1] == QUANTITY
    assert cells[2] == "12,50 €"
    assert cells[3] == "20 %"
    assert cells[4] == EXPECTED_LINE_AMOUNT
    totals = totals_on_page(page)
    assert totals["Total HT"] == EXPECTED_LINE_AMOUNT
    assert totals["Total TVA"] == "60,00 €"
    assert totals["Total TTC"] == "360,00 €"
