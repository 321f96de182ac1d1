"""Report downloads read back with csv, openpyxl and pypdf."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader

from reports.exports import Kind, Section, csv_cell, export_campaign, export_member, write_csv
from reports.services import campaign_report, member_report


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_csv_cells_neutralise_formulas():
    assert csv_cell("=SUM(A1)") == "'=SUM(A1)"
    assert csv_cell("+33 2 33") == "'+33 2 33"
    assert csv_cell("-rm") == "'-rm"
    assert csv_cell("@cmd") == "'@cmd"
    assert csv_cell("Saint-Lô") == "Saint-Lô"
    assert csv_cell(Decimal("-80.00")) == "-80,00"
    assert csv_cell(1368) == "1368"
    assert csv_cell(None) == ""


def test_csv_keeps_negative_numbers():
    data = write_csv([Section("T", ["Nom", "Montant"], [Kind.TEXT, Kind.MONEY], [["=1+1", Decimal("-1.50")]])])

    assert read_csv(data) == [["T"], ["Nom", "Montant"], ["'=1+1", "-1,50"]]


def test_campaign_csv_figures(closed_campaign):
    rows = read_csv(export_campaign(campaign_report(closed_campaign.campaign), "csv"))

    product = next(row for row in rows if row and row[0] == "ENT-CLASSE")
    assert product[3:] == ["120", "100", "12,0000", "10,0000", "1200,00", "240,00"]
    ablon = next(row for row in rows if row and row[0] == "Ablon")
    assert ablon[2:] == ["1", "5", "123", "400,00", "80,00", "899,12", "-80,00"]
    shares = [row[-1] for row in rows if row and row[0] == "Hébergement ENT"]
    assert shares == ["899,12", "3333,33", "5767,55"]


def test_campaign_xlsx_real_numbers(closed_campaign):
    data = export_campaign(campaign_report(closed_campaign.campaign), "xlsx")

    workbook = load_workbook(io.BytesIO(data))
    products = workbook["Produits"] if "Produits" in workbook.sheetnames else workbook[workbook.sheetnames[1]]
    values = [cell.value for cell in products[2]]
    assert values[0] == "ENT-CLASSE"
    assert values[3] == 120
    assert values[7] == 1200
    assert values[8] == 240
    assert isinstance(values[8], (int, float))
    allocation = workbook[workbook.sheetnames[3]]
    assert sum(row[6].value for row in allocation.iter_rows(min_row=2)) == 10000


def test_campaign_pdf_text(closed_campaign):
    pages, text = pdf_text(export_campaign(campaign_report(closed_campaign.campaign), "pdf"))

    assert pages >= 1
    assert "ENT 2027-2028" in text
    assert "5 767,55" in text.replace("\u202f", " ").replace("\xa0", " ")


def test_member_exports_only_own_figures(closed_campaign):
    merville = member_report(closed_campaign.members[1], closed_campaign.campaign)

    rows = read_csv(export_member(merville, "csv"))
    flat = ";".join(";".join(row) for row in rows)
    assert "École de Merville" in flat
    assert "Ablon" not in flat
    assert "Saint-Lô" not in flat
    school = next(row for row in rows if len(row) > 1 and row[1] == "École de Merville")
    assert school[2:] == ["456", "19", "591,00", "100,00", "1,30", "31,11"]

    workbook = load_workbook(io.BytesIO(export_member(merville, "xlsx")))
    cells = [str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row]
    assert not any("Ablon" in cell or "Saint-Lô" in cell for cell in cells)


def test_member_annex_one_page(closed_campaign):
    merville = member_report(closed_campaign.members[1], closed_campaign.campaign)

    pages, text = pdf_text(export_member(merville, "pdf"))

    normalised = text.replace("\u202f", " ").replace("\xa0", " ")
    assert pages == 1
    assert "Merville" in normalised
    assert "100,00" in normalised
    assert "691,00" in normalised
    assert "Ablon" not in normalised


def test_member_csv_writes_french_months(closed_campaign):
    merville = member_report(closed_campaign.members[1], closed_campaign.campaign)

    rows = read_csv(export_member(merville, "csv"))

    month_rows = [row for row in rows if len(row) == 3 and row[0] == "avril 2027"]
    assert month_rows == [["avril 2027", "591,00", "100,00"]]
    assert not any(row and row[0] == "2027-04" for row in rows)


def test_csv_downloads_send_one_charset(closed_campaign, factories, login):
    from app.auth.roles import Role

    client = login(factories.user(Role.ADMIN))
    campaign_id = closed_campaign.campaign.id
    member_id = closed_campaign.members[1].id
    urls = [
        f"/rapports/campagnes/{campaign_id}/export.csv",
        f"/rapports/adherents/{member_id}/export.csv",
        "/catalog/manage/export?format=csv",
        "/invoices/exports?date_from=2027-01-01&date_to=2027-12-31&export_format=csv",
        "/invoices/exports?date_from=2027-01-01&date_to=2027-12-31&export_format=titres",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", url
