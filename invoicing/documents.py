"""The issued documents: the CII XML data, the French PDF and the Factur-X PDF/A-3.

The XML is built by app.einvoicing from plain dataclasses and validated (XSD, EN 16931 and
French CTC schematrons) before the PDF is rendered, so that an invalid invoice is never
issued. The PDF template receives plain values only.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l

from app import einvoicing
from app.formatting import format_day
from app.pdf import render_pdf, sha256_hex
from catalog.models import SALE_UNIT_SHORT_LABELS, VAT_CATEGORY_LABELS, SaleUnit

from .models import TYPE_CODES, Invoice

logger = logging.getLogger(__name__)

PDF_TEMPLATE = "invoicing/document_pdf.html"
PDF_LOCALE = "fr"

# The mentions French e-invoicing rules require as subject-coded notes (BR-FR-05). Members are
# public bodies, so late payment follows the Code de la commande publique.
LATE_PAYMENT_NOTE = _l(
    "Late payment: default interest at the European Central Bank's main refinancing rate "
    "plus 8 points (Code de la commande publique, art. R. 2192-31)."
)
RECOVERY_COSTS_NOTE = _l(
    "Fixed compensation for recovery costs in case of late payment: 40 € "
    "(Code de la commande publique, art. D. 2192-35)."
)
NO_DISCOUNT_NOTE = _l("No discount for early payment.")


def payment_terms_text(invoice: Invoice) -> str:
    """Return the payment terms printed on the document and carried as BT-20."""
    if invoice.is_credit_note:
        credited = invoice.credited_invoice
        return str(
            _l(
                "Credit note to be deducted from invoice %(number)s, or refunded by transfer "
                "when that invoice is already paid.",
                number=credited.number if credited else "",
            )
        )
    return str(
        _l(
            "Payment by mandat administratif and transfer to the IBAN below, within 30 days "
            "of the issue date (Code de la commande publique, art. R. 2192-10)."
        )
    )


def _seller() -> einvoicing.Party:
    return einvoicing.centrale_party(current_app.config["CENTRALE_IDENTITY"])


def _buyer(invoice: Invoice) -> einvoicing.Party:
    return einvoicing.Party(
        name=invoice.buyer_name,
        address_line1=invoice.buyer_address_line1,
        address_line2=invoice.buyer_address_line2,
        postcode=invoice.buyer_postcode,
        city=invoice.buyer_city,
        siren=invoice.buyer_siren,
        siret=invoice.buyer_siret or None,
    )


def _business_process(invoice: Invoice) -> str:
    """Return the French CTC framework code (BT-23): B1 goods, S1 services, M1 both.

    NOTE: a line sold per item counts as goods, and every other unit of sale (school, class,
    pupil account, training day) as a service. A licence sold per item is therefore declared
    as goods.
    """
    kinds = {"goods" if line.unit == "item" else "services" for line in invoice.lines}
    if kinds == {"goods"}:
        return "B1"
    if kinds == {"services"}:
        return "S1"
    return "M1"


def invoice_data(invoice: Invoice) -> einvoicing.InvoiceData:
    """Collect the EN 16931 data of an invoice or credit note whose number is assigned."""
    identity = current_app.config["CENTRALE_IDENTITY"]
    credited = invoice.credited_invoice
    with force_locale(PDF_LOCALE):
        notes = [
            einvoicing.Note(str(LATE_PAYMENT_NOTE), "PMD"),
            einvoicing.Note(str(RECOVERY_COSTS_NOTE), "PMT"),
            einvoicing.Note(str(NO_DISCOUNT_NOTE), "AAB"),
        ]
        if invoice.note:
            notes.insert(0, einvoicing.Note(invoice.note))
        terms = payment_terms_text(invoice)
    return einvoicing.InvoiceData(
        number=invoice.number or "",
        type_code=TYPE_CODES[invoice.kind_enum],
        issue_date=invoice.issue_date,
        due_date=None if invoice.is_credit_note else invoice.due_date,
        seller=_seller(),
        buyer=_buyer(invoice),
        lines=einvoicing.document_lines(invoice.lines),
        payment_terms=terms,
        buyer_reference=invoice.service_code,
        contract_reference=invoice.contract_reference,
        purchase_order_reference=invoice.engagement_number,
        preceding_invoice_number=credited.number if credited else "",
        preceding_invoice_date=credited.issue_date if credited else None,
        seller_iban="" if invoice.is_credit_note else identity.iban,
        seller_bic="" if invoice.is_credit_note else identity.bic,
        notes=notes,
        business_process=_business_process(invoice),
    )


def _unit_label(unit: str) -> str:
    try:
        return str(SALE_UNIT_SHORT_LABELS[SaleUnit(unit)])
    except ValueError:
        return unit


def pdf_context(invoice: Invoice, data: einvoicing.InvoiceData) -> dict:
    """Return the plain values the PDF template prints."""
    totals = invoice.totals()
    return {
        "invoice": {
            "kind": invoice.kind,
            "is_credit_note": invoice.is_credit_note,
            "number": invoice.number,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "subject": invoice.subject,
            "note": invoice.note,
            "period_start": invoice.period_start,
            "period_end": invoice.period_end,
            "service_code": invoice.service_code,
            "engagement_number": invoice.engagement_number,
            "contract_reference": invoice.contract_reference,
            "credited_number": data.preceding_invoice_number,
            "credited_date": data.preceding_invoice_date,
            "payment_terms": data.payment_terms,
        },
        "centrale": asdict(current_app.config["CENTRALE_IDENTITY"]),
        "buyer": asdict(data.buyer),
        "lines": [
            {
                "order_number": line.order_number,
                "school_name": line.school_name,
                "reference": line.reference,
                "name": line.name,
                "quantity": line.quantity,
                "unit_label": _unit_label(line.unit),
                "unit_price": line.unit_price,
                "vat_category": line.vat_category,
                "vat_category_label": str(VAT_CATEGORY_LABELS.get(line.vat_category, line.vat_category)),
                "vat_rate": line.vat_rate,
                "vat_exemption_reason": line.vat_exemption_reason,
                "net_amount": line.net_amount,
            }
            for line in invoice.lines
        ],
        "breakdown": [asdict(row) for row in totals.breakdown],
        "net_amount": totals.net_amount,
        "vat_amount": totals.vat_amount,
        "gross_amount": totals.gross_amount,
        "notes": [note.text for note in data.notes if note.subject_code],
    }


def build_documents(invoice: Invoice) -> tuple[bytes, bytes]:
    """Build, validate and embed the XML; return the Factur-X PDF and the XML bytes.

    Raises einvoicing.EInvoiceInvalid when the XML fails the XSD or a schematron rule.
    """
    data = invoice_data(invoice)
    xml = einvoicing.build_invoice_xml(data)
    einvoicing.validate_invoice_xml(xml, document=data.number)
    with force_locale(PDF_LOCALE):
        pdf = render_pdf(PDF_TEMPLATE, **pdf_context(invoice, data))
        metadata = pdf_metadata(data, is_credit_note=invoice.is_credit_note)
    facturx_pdf = einvoicing.embed_invoice_xml(pdf, xml, metadata=metadata)
    return facturx_pdf, xml


def pdf_metadata(data: einvoicing.InvoiceData, *, is_credit_note: bool) -> einvoicing.PdfMetadata:
    """Build the PDF document properties of an invoice or credit note in the current locale."""
    values = {"number": data.number, "seller": data.seller.name, "buyer": data.buyer.name,
              "day": format_day(data.issue_date)}
    if is_credit_note:
        title = gettext("Credit note %(number)s – %(seller)s", **values)
        subject = gettext("Credit note %(number)s of %(day)s issued by %(seller)s to %(buyer)s", **values)
        keywords = gettext("Credit note, Factur-X")
    else:
        title = gettext("Invoice %(number)s – %(seller)s", **values)
        subject = gettext("Invoice %(number)s of %(day)s issued by %(seller)s to %(buyer)s", **values)
        keywords = gettext("Invoice, Factur-X")
    return einvoicing.PdfMetadata(title=title, subject=subject, author=data.seller.name, keywords=keywords)


def store_documents(invoice: Invoice) -> None:
    """Build the documents of an invoice being issued and keep them with their SHA-256."""
    pdf, xml = build_documents(invoice)
    invoice.pdf_data = pdf
    invoice.pdf_sha256 = sha256_hex(pdf)
    invoice.xml_data = xml
    invoice.xml_sha256 = sha256_hex(xml)
    logger.info(
        "Documents of %s stored: PDF %s bytes (sha256 %s), XML %s bytes",
        invoice.number,
        len(pdf),
        invoice.pdf_sha256,
        len(xml),
    )


def document_filename(invoice: Invoice, extension: str) -> str:
    prefix = "avoir" if invoice.is_credit_note else "facture"
    return f"{prefix}-{invoice.number}.{extension}"
