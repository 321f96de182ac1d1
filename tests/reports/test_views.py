"""Report pages and downloads: role checks and member isolation."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from app.auth.roles import Role


def test_dashboard_for_centrale(closed_campaign, factories, login):
    client = login(factories.user(Role.FINANCE))

    response = client.get("/rapports/")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "chart-months-data" in page
    assert "js/reports.js" in page
    assert "ENT 2027-2028" in page


def test_dashboard_forbidden_to_members(closed_campaign, login):
    client = login(closed_campaign.buyers[0])

    assert client.get("/rapports/").status_code == 403
    assert client.get(f"/rapports/campagnes/{closed_campaign.campaign.id}").status_code == 403
    assert client.get(f"/rapports/campagnes/{closed_campaign.campaign.id}/export.csv").status_code == 403


def test_campaign_page_and_exports(closed_campaign, factories, login):
    client = login(factories.user(Role.CATALOG_MANAGER))
    campaign_id = closed_campaign.campaign.id

    page = client.get(f"/rapports/campagnes/{campaign_id}").get_data(as_text=True)
    xlsx = client.get(f"/rapports/campagnes/{campaign_id}/export.xlsx")
    pdf = client.get(f"/rapports/campagnes/{campaign_id}/export.pdf")

    assert "ENT-CLASSE" in page
    assert "Saint-Lô" in page
    assert xlsx.status_code == 200
    assert "attachment" in xlsx.headers["Content-Disposition"]
    assert load_workbook(io.BytesIO(xlsx.data)).sheetnames[0]
    assert pdf.data.startswith(b"%PDF")
    assert client.get(f"/rapports/campagnes/{campaign_id}/export.exe").status_code == 404
    assert client.get("/rapports/campagnes/9999").status_code == 404


def test_member_sees_own_report(closed_campaign, login):
    client = login(closed_campaign.buyers[1])
    member_id = closed_campaign.members[1].id

    redirect = client.get("/rapports/mon-rapport")
    page = client.get(f"/rapports/adherents/{member_id}?campagne={closed_campaign.campaign.id}")

    assert redirect.status_code == 302
    assert redirect.headers["Location"].endswith(f"/rapports/adherents/{member_id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "École de Merville" in text
    assert "Ablon" not in text


def test_member_gets_404_for_other_member(closed_campaign, login):
    client = login(closed_campaign.buyers[1])
    other = closed_campaign.members[0].id

    assert client.get(f"/rapports/adherents/{other}").status_code == 404
    for file_format in ("csv", "xlsx", "pdf"):
        assert client.get(f"/rapports/adherents/{other}/export.{file_format}").status_code == 404


def test_member_export_downloads(closed_campaign, login):
    client = login(closed_campaign.buyers[2])
    member_id = closed_campaign.members[2].id
    campaign_id = closed_campaign.campaign.id

    csv_response = client.get(f"/rapports/adherents/{member_id}/export.csv?campagne={campaign_id}")
    pdf_response = client.get(f"/rapports/adherents/{member_id}/export.pdf?campagne={campaign_id}")

    assert csv_response.data.startswith(b"\xef\xbb\xbf")
    text = csv_response.data.decode("utf-8-sig")
    assert "300,00" in text
    assert "Merville" not in text
    assert pdf_response.data.startswith(b"%PDF")
    assert "annexe-economies" in pdf_response.headers["Content-Disposition"]
