"""Issuing: blockers, frozen documents, Factur-X content and schematron validation."""

from datetime import date
from decimal import Decimal

import facturx
import pytest
from lxml import etree
from pypdf import PdfReader
import io

from app import einvoicing
from app.extensions import db
from app.pdf import sha256_hex
from invoicing import documents, services
from invoicing.models import InvoiceLine, IssuedDocumentChanged
from invoicing.services import NotInvoiceable

NS = einvoicing.NS_CII


def issue_for(invoicing_data, finance_user, member=None, **order_fields):
    order = invoicing_data.approved_order(member, **order_fields)
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    return services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))


def test_missing_siret_blocks_issue(invoicing_data, finance_user):
    member = invoicing_data.member(with_siret=False)
    order = invoicing_data.approved_order(member)
    [candidate] = services.invoiceable_orders()
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)

    with pytest.raises(NotInvoiceable) as error:
        services.issue_invoice(draft, finance_user)

    assert "SIRET" in str(error.value)
    assert "import-sirets" in str(error.value)
    assert draft.number is None
    assert len(candidate.blockers) == 1
    assert "import-sirets" in candidate.blockers[0]


@pytest.mark.parametrize(
    ("requirement", "service_code", "engagement", "blocked"),
    [
        ("service_code", "", "EJ1", True),
        ("service_code", "SERV1", "", False),
        ("engagement", "SERV1", "", True),
        ("both", "SERV1", "", True),
        ("both", "SERV1", "EJ1", False),
        ("either", "", "", True),
        ("either", "", "EJ1", False),
        ("none", "", "", False),
    ],
)
def test_chorus_requirement_blocks_issue(invoicing_data, finance_user, requirement, service_code, engagement, blocked):
    member = invoicing_data.member(chorus_requirement=requirement)
    order = invoicing_data.approved_order(member, service_code=service_code, engagement_number=engagement)
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)

    assert bool(services.issue_blockers(draft)) is blocked


def test_facturx_xml_matches_invoice(invoicing_data, finance_user):
    member = invoicing_data.member(chorus_requirement="both")
    invoice = issue_for(invoicing_data, finance_user, member, service_code="SERV-ECOLES", engagement_number="EJ-2026-42",
                        lines=(("20.00", "3", "12.50"), ("0", "1", "300.00")))

    filename, xml = facturx.get_xml_from_pdf(invoice.pdf_data, check_xsd=True)
    root = etree.fromstring(xml)

    assert filename == "factur-x.xml"
    assert xml == invoice.xml_data
    assert root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=NS) == "FA-2026-00001"
    assert root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "380"
    agreement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement/"
    assert root.findtext(agreement + "ram:BuyerReference", namespaces=NS) == "SERV-ECOLES"
    assert root.findtext(agreement + "ram:ContractReferencedDocument/ram:IssuerAssignedID", namespaces=NS) == "2025-MN-001 lot 1"
    assert root.findtext(agreement + "ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID", namespaces=NS) == "EJ-2026-42"
    legal = root.find(agreement + "ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID", namespaces=NS)
    assert (legal.text, legal.get("schemeID")) == (member.billing_siret, "0009")
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
    summation = settlement + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/"
    assert root.findtext(summation + "ram:TaxBasisTotalAmount", namespaces=NS) == "337.50"
    assert root.findtext(summation + "ram:TaxTotalAmount", namespaces=NS) == "7.50"
    assert root.findtext(summation + "ram:GrandTotalAmount", namespaces=NS) == "345.00"
    assert root.findtext(settlement + "ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode", namespaces=NS) == "58"
    assert root.findtext(settlement + "ram:SpecifiedTradeSettlementPaymentMeans/ram:PayeePartyCreditorFinancialAccount/ram:IBANID", namespaces=NS) == "FR7630001007941234567890185"
    assert invoice.pdf_sha256 == sha256_hex(invoice.pdf_data)
    assert invoice.xml_sha256 == sha256_hex(invoice.xml_data)


def test_pdf_carries_mandatory_mentions(invoicing_data, finance_user):
    invoice = issue_for(invoicing_data, finance_user, lines=(("5.50", "2", "5.50"), ("0", "1", "300.00")))

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(invoice.pdf_data)).pages)

    for mention in ("FA-2026-00001", "10/03/2026", "09/04/2026", invoice.buyer_siret, invoice.buyer_siren,
                    "25500158800003", "FR17255001588", "5,5", "CGI art. 261-4-4° a", "40", "R. 2192-31",
                    "FR7630001007941234567890185", "311,61"):
        assert mention in text, mention


def test_credit_note_xml_cites_invoice_without_payment_means(invoicing_data, finance_user):
    invoice = issue_for(invoicing_data, finance_user)
    credit_note = services.issue_invoice(services.create_credit_note(invoice, finance_user), finance_user,
                                         issue_date=date(2026, 3, 20))

    root = etree.fromstring(facturx.get_xml_from_pdf(credit_note.pdf_data, check_xsd=True)[1])
    settlement = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"

    assert root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=NS) == "381"
    assert root.findtext(settlement + "ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=NS) == "FA-2026-00001"
    assert root.findtext(settlement + "ram:InvoiceReferencedDocument/ram:FormattedIssueDateTime/qdt:DateTimeString", namespaces=NS) == "20260310"
    assert root.find(settlement + "ram:SpecifiedTradeSettlementPaymentMeans", namespaces=NS) is None


def test_schematrons_pass_on_every_document(invoicing_data, finance_user):
    invoice = issue_for(invoicing_data, finance_user, lines=(("20.00", "3", "12.50"), ("10.00", "1", "0.25"),
                                                             ("5.50", "2", "5.50"), ("0", "1", "300")))
    credit_note = services.issue_invoice(services.create_credit_note(invoice, finance_user), finance_user,
                                         issue_date=date(2026, 3, 20))

    for document in (invoice, credit_note):
        assert einvoicing.failed_rules(einvoicing.EN16931_SCHEMATRON, document.xml_data) == []
        french = einvoicing.failed_rules(einvoicing.FRENCH_CTC_SCHEMATRON, document.xml_data)
        assert [rule for rule in french if rule.flag in ("fatal", "error")] == []
        einvoicing.validate_invoice_xml(document.xml_data)


def test_schematron_rejects_broken_xml(invoicing_data, finance_user):
    invoice = issue_for(invoicing_data, finance_user)
    broken_country = invoice.xml_data.replace(b"<ram:CountryID>FR</ram:CountryID>", b"<ram:CountryID>QQ</ram:CountryID>", 1)
    broken_total = invoice.xml_data.replace(b"<ram:GrandTotalAmount>45.00", b"<ram:GrandTotalAmount>45.01")

    with pytest.raises(einvoicing.EInvoiceInvalid) as country_error:
        einvoicing.validate_invoice_xml(broken_country)
    with pytest.raises(einvoicing.EInvoiceInvalid) as total_error:
        einvoicing.validate_invoice_xml(broken_total)

    assert "FX-SCH-A-000580" in " ".join(country_error.value.errors)
    assert "BR-CO-15" in " ".join(total_error.value.errors)


def test_issued_invoice_refuses_changes(invoicing_data, finance_user):
    invoice = issue_for(invoicing_data, finance_user)
    db.session.flush()

    invoice.net_amount = Decimal("1.00")
    with pytest.raises(IssuedDocumentChanged):
        db.session.flush()
    db.session.rollback()


def test_issued_invoice_refuses_line_changes(invoicing_data, finance_user):
    invoice = issue_for(invoicing_data, finance_user)
    line = invoice.lines[0]

    line.quantity = Decimal("99")
    with pytest.raises(IssuedDocumentChanged):
        db.session.flush()
    db.session.rollback()


def test_issued_invoice_refuses_new_lines(invoicing_data, finance_user):
    invoice = issue_for(invoicing_data, finance_user)

    db.session.add(InvoiceLine(invoice=invoice, name="Ajout", quantity=Decimal("1"), unit_price=Decimal("1"),
                               vat_category="S", vat_rate=Decimal("20"), net_amount=Decimal("1.00")))
    with pytest.raises(IssuedDocumentChanged):
        db.session.flush()
    db.session.rollback()


def test_issued_invoice_refuses_deletion(invoicing_data, finance_user):
    invoice = issue_for(invoicing_data, finance_user)

    db.session.delete(invoice)
    with pytest.raises(IssuedDocumentChanged):
        db.session.flush()
    db.session.rollback()


def test_issued_invoice_accepts_payment_status(invoicing_data, finance_user):
    invoice = issue_for(invoicing_data, finance_user)

    invoice.paid_amount = Decimal("10.00")
    invoice.status = "partly_paid"
    db.session.flush()

    assert invoice.status == "partly_paid"


def test_invalid_xml_leaves_no_number(invoicing_data, finance_user, monkeypatch):
    order = invoicing_data.approved_order()
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    db.session.commit()

    def broken(invoice):
        raise einvoicing.EInvoiceInvalid(invoice.number, ["[BR-TEST] broken"])

    monkeypatch.setattr(documents, "build_documents", broken)
    with pytest.raises(einvoicing.EInvoiceInvalid):
        services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))
    db.session.rollback()
    monkeypatch.undo()

    reissued = services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))
    assert reissued.number == "FA-2026-00001"


def test_order_x_xml_passes_schematron():
    party = einvoicing.Party(name="Manche Numérique", address_line1="235 rue Joseph Cugnot", postcode="50000",
                             city="Saint-Lô", siren="255001588", siret="25500158800003", vat_number="FR17255001588")
    buyer = einvoicing.Party(name="Commune", address_line1="Mairie", postcode="14600", city="Ablon", siren="211400010")
    order = einvoicing.OrderData(
        number="BC-2026-00001", issue_date=date(2026, 3, 2), seller=party, buyer=buyer,
        lines=[einvoicing.DocumentLine("1", "ENT", Decimal("5"), Decimal("12.5"), Decimal("62.50"), "S", Decimal("20"), unit="class"),
               einvoicing.DocumentLine("2", "Formation", Decimal("1"), Decimal("300"), Decimal("300.00"), "E", Decimal("0"),
                                       unit="training_day", vat_exemption_reason="CGI art. 261-4-4° a")],
        buyer_reference="SERV1", engagement_number="EJ1", contract_reference="2025-MN-001",
        delivery_name="École Jules Ferry", delivery_identifier="0500001A", delivery_postcode="50000", delivery_city="Saint-Lô",
    )
    xml = einvoicing.build_order_xml(order)

    einvoicing.validate_order_xml(xml)
    root = etree.fromstring(xml)
    assert root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=einvoicing.NS_ORDERX) == "220"
    assert einvoicing.failed_rules(einvoicing.ORDERX_SCHEMATRON, xml) == []
