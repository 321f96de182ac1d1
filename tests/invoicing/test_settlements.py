"""Credit notes and complementary invoices from campaign settlements, and absorbed settlements."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import facturx
import pytest
from lxml import etree

from app import einvoicing
from app.auth.roles import Role
from app.errors import ValidationFailed
from app.extensions import db
from invoicing import services, settlements
from invoicing.services import GROUP_PER_ORDER, NotInvoiceable
from invoicing.settlements import SettlementState
from orders.campaign_models import Settlement
from orders.campaigns import close_campaign
from tests.campaigns.conftest import CampaignBuilder
from tests.invoicing.conftest import siret_of

ISSUED_BEFORE_CLOSE = date(2026, 6, 15)
SETTLED_ON = date(2026, 7, 10)
NS = {prefix: einvoicing.NS_CII[prefix] for prefix in ("ram", "rsm", "qdt")}


class SettledCampaign:
    """A campaign over two products (20 % and 5.5 % VAT) in which member M has two orders.

    M's early order paid the first tier (12,00 € and 4,00 €). Member N's order then pushed the
    total past 200 units, so M's late order got the third tier (8,00 € and 3,00 €). N's order
    is rejected before the close, so the final total of 110 units falls in the second tier
    (10,00 € and 3,50 €): M's early order gets a credit, its late order a complement.
    """

    def __init__(self, factories, *, invoice_before_close=True, with_siret=True, before_close=None):
        builder = CampaignBuilder(factories)
        self.finance = factories.user(Role.FINANCE)
        self.ent = builder.pooled_product(
            [(1, "12.00"), (100, "10.00"), (200, "8.00")], unit="class", vat_rate=Decimal("20.00"), name="ENT par classe"
        )
        self.books = builder.pooled_product(
            [(1, "4.00"), (100, "3.50"), (200, "3.00")], unit="pupil", vat_rate=Decimal("5.50"), name="Manuels numériques"
        )
        self.campaign = builder.campaign(
            self.ent, self.books, name="ENT 2026-2027", school_year=2026,
            opens_on=date(2026, 3, 1), closes_on=date(2026, 6, 30),
        )
        self.member, school, buyer = builder.member_with_school(
            name="Commune de Test", address_line1="1 place de la Mairie", postcode="50000", city="Saint-Lô"
        )
        if with_siret:
            self.member.billing_siret = siret_of(self.member.siren)
        other, other_school, other_buyer = builder.member_with_school()

        self.early = builder.submit(school, buyer, [(self.ent, 60), (self.books, 60)], day=date(2026, 3, 2))
        rejected = builder.submit(other_school, other_buyer, [(self.ent, 100), (self.books, 100)], day=date(2026, 3, 3))
        self.late = builder.submit(school, buyer, [(self.ent, 50), (self.books, 50)], day=date(2026, 3, 4))
        for number, order in enumerate((self.early, rejected, self.late), start=1):
            order.number = f"BC-2026-{number:05d}"
        for order in (self.early, self.late):
            order.status = "approved"
            order.decided_at = datetime(2026, 3, 5, 9, tzinfo=timezone.utc)
        rejected.status = "rejected"
        db.session.flush()

        self.originals = []
        if invoice_before_close:
            drafts = services.create_invoice_drafts([self.early, self.late], grouping=GROUP_PER_ORDER, actor=self.finance)
            self.originals = [
                services.issue_invoice(draft, self.finance, issue_date=ISSUED_BEFORE_CLOSE) for draft in drafts
            ]
        if before_close is not None:
            before_close(self)
        close_campaign(self.campaign, now=datetime(2026, 7, 1, 8, tzinfo=timezone.utc))

    def settlements(self):
        return list(db.session.scalars(db.select(Settlement).where(Settlement.member_id == self.member.id).order_by(Settlement.id)))


@pytest.fixture
def settled(factories) -> SettledCampaign:
    return SettledCampaign(factories)


def test_settlement_differences(settled):
    rows = {(s.order_id, s.vat_rate): (s.difference_net, s.difference_vat, s.kind) for s in settled.settlements()}

    assert rows[(settled.early.id, Decimal("20.00"))] == (Decimal("-120.00"), Decimal("-24.00"), "credit")
    assert rows[(settled.early.id, Decimal("5.50"))] == (Decimal("-30.00"), Decimal("-1.65"), "credit")
    assert rows[(settled.late.id, Decimal("20.00"))] == (Decimal("100.00"), Decimal("20.00"), "complement")
    assert rows[(settled.late.id, Decimal("5.50"))] == (Decimal("25.00"), Decimal("1.38"), "complement")


def test_credit_note_and_complement_to_the_cent(settled):
    early_invoice, late_invoice = settled.originals

    documents = settlements.invoice_member_settlements(
        settled.campaign, settled.member, settled.finance, issue_date=SETTLED_ON
    )

    credit_note, complement = sorted(documents, key=lambda document: not document.is_credit_note)
    assert [early_invoice.number, late_invoice.number] == ["FA-2026-00001", "FA-2026-00002"]
    assert credit_note.number == "AV-2026-00001"
    assert credit_note.credited_invoice_id == early_invoice.id
    assert (credit_note.net_amount, credit_note.vat_amount, credit_note.gross_amount) == (
        Decimal("150.00"), Decimal("25.65"), Decimal("175.65")
    )
    assert complement.number == "FA-2026-00003"
    assert complement.kind == "invoice"
    assert complement.credited_invoice_id is None
    assert (complement.net_amount, complement.vat_amount, complement.gross_amount) == (
        Decimal("125.00"), Decimal("21.38"), Decimal("146.38")
    )
    assert "FA-2026-00002" in complement.note
    assert [(line.name, line.quantity, line.unit_price, line.vat_rate) for line in credit_note.lines] == [
        ("Régularisation campagne ENT 2026-2027 – BC-2026-00001", Decimal(1), Decimal("120.00"), Decimal("20.00")),
        ("Régularisation campagne ENT 2026-2027 – BC-2026-00001", Decimal(1), Decimal("30.00"), Decimal("5.50")),
    ]
    assert early_invoice.credited_amount == Decimal("175.65")
    assert early_invoice.balance == early_invoice.gross_amount - Decimal("175.65")
    assert all(settlement.invoiced for settlement in settled.settlements())


def test_settlement_xml_cites_original_invoice(settled):
    early_invoice = settled.originals[0]

    documents = settlements.invoice_member_settlements(
        settled.campaign, settled.member, settled.finance, issue_date=SETTLED_ON
    )

    credit_note = next(document for document in documents if document.is_credit_note)
    root = etree.fromstring(credit_note.xml_data)
    assert root.findtext(".//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    reference = root.find(".//ram:InvoiceReferencedDocument", namespaces=NS)
    assert reference.findtext("ram:IssuerAssignedID", namespaces=NS) == early_invoice.number
    assert reference.findtext(".//qdt:DateTimeString", namespaces=NS) == "20260615"
    for document in documents:
        _filename, embedded = facturx.get_xml_from_pdf(document.pdf_data, check_xsd=True)
        assert embedded == document.xml_data
        einvoicing.validate_invoice_xml(document.xml_data, document=document.number)


def test_settlements_never_invoiced_twice(settled):
    settlements.invoice_member_settlements(settled.campaign, settled.member, settled.finance, issue_date=SETTLED_ON)

    with pytest.raises(ValidationFailed) as error:
        settlements.invoice_member_settlements(settled.campaign, settled.member, settled.finance, issue_date=SETTLED_ON)

    assert "aucune régularisation prête à facturer" in str(error.value)
    overview = settlements.campaign_settlement_overview(settled.campaign)
    states = [row.state for entry in overview for row in entry.rows]
    assert states == [SettlementState.INVOICED] * 4


def test_invoiced_settlement_copy_blocked(settled):
    documents = settlements.invoice_member_settlements(
        settled.campaign, settled.member, settled.finance, issue_date=SETTLED_ON
    )
    complement = next(document for document in documents if not document.is_credit_note)
    copy = settlements._build_document(
        settled.campaign,
        settled.member,
        settlements.DocumentKind.INVOICE,
        [
            settlements.SettlementRow(line.settlement, line.settlement.order, settled.originals[1], None, SettlementState.READY)
            for line in complement.lines
        ],
        settled.finance,
    )
    db.session.flush()

    with pytest.raises(NotInvoiceable) as error:
        services.issue_invoice(copy, settled.finance, issue_date=SETTLED_ON)

    assert "BC-2026-00003" in str(error.value)


def test_missing_siret_explained(factories):
    settled = SettledCampaign(factories, invoice_before_close=False, with_siret=False)

    overview = settlements.campaign_settlement_overview(settled.campaign)

    entry = overview[0]
    assert entry.member.id == settled.member.id
    assert "import-sirets" in entry.blockers[0]
    with pytest.raises(NotInvoiceable):
        settlements.invoice_member_settlements(settled.campaign, settled.member, settled.finance)


def test_uninvoiced_order_absorbs_settlement(factories):
    settled = SettledCampaign(factories, invoice_before_close=False)
    overview = settlements.campaign_settlement_overview(settled.campaign)
    assert {row.state for row in overview[0].rows} == {SettlementState.ORDER_NOT_INVOICED}

    drafts = services.create_invoice_drafts([settled.early, settled.late], grouping=GROUP_PER_ORDER, actor=settled.finance)
    early_invoice, late_invoice = [services.issue_invoice(draft, settled.finance, issue_date=SETTLED_ON) for draft in drafts]

    # Final prices: 10,00 € per class and 3,50 € per pupil for both orders.
    assert [(line.quantity, line.unit_price, line.net_amount) for line in early_invoice.lines] == [
        (Decimal("60.000"), Decimal("10.0000"), Decimal("600.00")),
        (Decimal("60.000"), Decimal("3.5000"), Decimal("210.00")),
    ]
    assert (early_invoice.net_amount, early_invoice.vat_amount, early_invoice.gross_amount) == (
        Decimal("810.00"), Decimal("131.55"), Decimal("941.55")
    )
    assert late_invoice.net_amount == Decimal("675.00")
    assert all(settlement.invoiced for settlement in settled.settlements())
    overview = settlements.campaign_settlement_overview(settled.campaign)
    assert {row.state for row in overview[0].rows} == {SettlementState.ABSORBED}
    with pytest.raises(ValidationFailed):
        settlements.invoice_member_settlements(settled.campaign, settled.member, settled.finance)


def test_draft_from_before_close_is_blocked(factories):
    drafts = []

    def create_drafts(settled):
        drafts.extend(
            services.create_invoice_drafts([settled.early, settled.late], grouping=GROUP_PER_ORDER, actor=settled.finance)
        )

    settled = SettledCampaign(factories, invoice_before_close=False, before_close=create_drafts)

    with pytest.raises(NotInvoiceable) as error:
        services.issue_invoice(drafts[0], settled.finance, issue_date=SETTLED_ON)

    assert "BC-2026-00001" in str(error.value)
    assert "prix provisoires" in str(error.value)
    assert not any(settlement.invoiced for settlement in settled.settlements())


def test_settlement_screen_and_issue(factories, login):
    settled = SettledCampaign(factories)
    client = login(settled.finance)

    page = client.get(f"/invoices/settlements?campaign_id={settled.campaign.id}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Commune de Test" in html
    assert "FA-2026-00001" in html
    response = client.post(f"/invoices/settlements/{settled.campaign.id}/members/{settled.member.id}")
    assert response.status_code == 302
    numbers = sorted(document.number for document in settled.originals[0].credit_notes)
    assert numbers == ["AV-2026-00001"]
    assert all(settlement.invoiced for settlement in settled.settlements())


def test_settlement_screen_explains_missing_siret(factories, login):
    settled = SettledCampaign(factories, invoice_before_close=False, with_siret=False)
    client = login(settled.finance)

    html = client.get(f"/invoices/settlements?campaign_id={settled.campaign.id}").get_data(as_text=True)

    assert "flask members import-sirets" in html
    assert f"/members/{settled.member.id}/edit" in html
    assert "Émettre les avoirs" not in html


def test_settlement_screen_finance_only(factories, login):
    settled = SettledCampaign(factories)
    buyer = factories.user(Role.BUYER, member=settled.member)
    client = login(buyer)

    assert client.get("/invoices/settlements").status_code == 403
    response = client.post(f"/invoices/settlements/{settled.campaign.id}/members/{settled.member.id}")
    assert response.status_code == 403
    assert not any(settlement.invoiced for settlement in settled.settlements())
