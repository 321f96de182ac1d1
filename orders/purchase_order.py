"""The purchase order (bon de commande) PDF: its plain data, its rendering and its storage.

The template receives only the dataclasses built here, never ORM objects, so it cannot load
anything lazily. The PDF of an approved order is stored once, in the approval transaction,
and served unchanged afterwards.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

from app import einvoicing
from app.errors import NotFound
from app.formatting import format_day
from app.money import VatSubtotal
from app.pdf import render_pdf, sha256_hex
from catalog.models import SALE_UNIT_SHORT_LABELS, VAT_CATEGORY_LABELS, SaleUnit

from .models import Order
from .states import OrderStatus

logger = logging.getLogger(__name__)

PDF_TEMPLATE = "orders/purchase_order_pdf.html"
PDF_LOCALE = "fr"


@dataclass(frozen=True)
class DocumentLine:
    """One line as the purchase order prints it."""

    reference: str
    name: str
    quantity: Decimal
    unit_label: str
    unit_price: Decimal
    vat_category: str
    vat_category_label: str
    vat_rate: Decimal
    vat_exemption_reason: str
    net_amount: Decimal


@dataclass(frozen=True)
class PurchaseOrderDocument:
    """Every mention of the purchase order, as plain values."""

    number: str
    order_date: datetime | None
    status: str
    status_label: str
    centrale: dict
    member: dict
    school: dict
    contract_references: list[str]
    lines: list[DocumentLine]
    breakdown: list[dict]
    net_amount: Decimal
    vat_amount: Decimal
    gross_amount: Decimal
    service_code: str
    engagement_number: str
    placed_by: str
    buyer_note: str
    decided_by: str = ""
    decided_at: datetime | None = None
    rejection_reason: str = ""


def _person(user) -> str:
    if user is None:
        return ""
    return user.full_name or user.email


def _line(line) -> DocumentLine:
    return DocumentLine(
        reference=line.reference,
        name=line.name,
        quantity=line.quantity,
        unit_label=str(SALE_UNIT_SHORT_LABELS[SaleUnit(line.unit)]),
        unit_price=line.unit_price,
        vat_category=line.vat_category,
        vat_category_label=str(VAT_CATEGORY_LABELS[line.vat_category]),
        vat_rate=line.vat_rate,
        vat_exemption_reason=line.vat_exemption_reason,
        net_amount=line.net_amount,
    )


def _breakdown_row(row: VatSubtotal) -> dict:
    values = asdict(row)
    values["vat_category_label"] = str(VAT_CATEGORY_LABELS[row.vat_category])
    return values


def build_purchase_order(order: Order) -> PurchaseOrderDocument:
    """Collect every mention of the purchase order from the submitted ``order``."""
    member = order.member
    school = order.school
    totals = order.totals()
    contract_references = sorted({line.contract_reference for line in order.lines if line.contract_reference})
    return PurchaseOrderDocument(
        number=order.number or "",
        order_date=order.submitted_at,
        status=order.status,
        status_label=order.status_label,
        centrale=asdict(current_app.config["CENTRALE_IDENTITY"]),
        member={
            "name": member.name,
            "siren": member.siren,
            "billing_siret": member.billing_siret or "",
            "address_lines": [
                text
                for text in (member.address_line1, member.address_line2, f"{member.postcode} {member.city}".strip())
                if text
            ],
        },
        school={
            "name": school.name,
            "uai": school.uai,
            "kind_label": school.kind_label,
            "commune": f"{school.postcode} {school.commune_name}".strip(),
        },
        contract_references=contract_references,
        lines=[_line(line) for line in order.lines],
        breakdown=[_breakdown_row(row) for row in totals.breakdown],
        net_amount=order.net_amount,
        vat_amount=order.vat_amount,
        gross_amount=order.gross_amount,
        service_code=order.service_code,
        engagement_number=order.engagement_number,
        placed_by=_person(order.submitted_by or order.created_by),
        buyer_note=order.buyer_note,
        decided_by=_person(order.decided_by),
        decided_at=order.decided_at,
        rejection_reason=order.rejection_reason,
    )


def render_purchase_order(order: Order) -> bytes:
    """Render the purchase order PDF of ``order`` in French, whatever the user's language."""
    document = build_purchase_order(order)
    with force_locale(PDF_LOCALE):
        return render_pdf(PDF_TEMPLATE, document=document)


def build_order_data(order: Order) -> einvoicing.OrderData:
    """Describe the submitted ``order`` for its Order-X XML (type 220, member to centrale)."""
    member = order.member
    school = order.school
    buyer = einvoicing.Party(
        name=member.name,
        address_line1=member.address_line1 or member.city,
        address_line2=member.address_line2,
        postcode=member.postcode,
        city=member.city,
        siren=member.siren,
        siret=member.billing_siret or None,
    )
    contract_references = sorted({line.contract_reference for line in order.lines if line.contract_reference})
    return einvoicing.OrderData(
        number=order.number or "",
        issue_date=(order.submitted_at or order.created_at).date(),
        seller=einvoicing.centrale_party(current_app.config["CENTRALE_IDENTITY"]),
        buyer=buyer,
        lines=einvoicing.document_lines(order.lines),
        buyer_reference=order.service_code,
        # Order-X has one contract reference per document; several contracts are listed in a note.
        contract_reference=contract_references[0] if len(contract_references) == 1 else "",
        engagement_number=order.engagement_number,
        delivery_name=school.name,
        delivery_identifier=school.uai,
        delivery_postcode=school.postcode,
        delivery_city=school.commune_name,
        notes=[
            einvoicing.Note(
                text=ngettext(
                    "Contract: %(references)s",
                    "Contracts: %(references)s",
                    len(contract_references),
                    references=", ".join(contract_references),
                )
            )
        ]
        if len(contract_references) > 1
        else [],
    )


def store_purchase_order(order: Order) -> None:
    """Render the approved order's PDF with its Order-X XML, and keep its bytes and SHA-256.

    Raises einvoicing.EInvoiceInvalid, which rolls the approval back, when the XML fails its
    XSD or schematron check.
    """
    with force_locale(PDF_LOCALE):
        xml = einvoicing.build_order_xml(build_order_data(order))
    einvoicing.validate_order_xml(xml, document=order.number or f"order {order.id}")
    with force_locale(PDF_LOCALE):
        metadata = purchase_order_metadata(order)
    pdf = einvoicing.embed_order_xml(render_purchase_order(order), xml, metadata=metadata)
    order.purchase_order_pdf = pdf
    order.purchase_order_sha256 = sha256_hex(pdf)
    logger.info(
        "Purchase order of order %s stored (%s bytes, sha256 %s)", order.id, len(pdf), order.purchase_order_sha256
    )


def purchase_order_metadata(order: Order) -> einvoicing.PdfMetadata:
    """Build the PDF document properties of the purchase order in the current locale."""
    values = {"number": order.number or "", "member": order.member.name, "school": order.school.name,
              "day": format_day(order.submitted_at)}
    return einvoicing.PdfMetadata(
        title=gettext("Purchase order %(number)s – %(member)s", **values),
        subject=gettext("Purchase order %(number)s placed by %(member)s for %(school)s on %(day)s", **values),
        author=order.member.name,
        keywords=gettext("Purchase order, Order-X"),
    )


def purchase_order_pdf(order: Order) -> bytes:
    """Return the purchase order PDF: the stored bytes once approved, else a fresh rendering.

    A draft has no purchase order: raises NotFound.
    """
    if order.purchase_order_pdf is not None:
        return order.purchase_order_pdf
    if order.status == OrderStatus.DRAFT.value or order.number is None:
        raise NotFound(_l("A cart has no purchase order yet: submit it first."))
    return render_purchase_order(order)


def purchase_order_filename(order: Order) -> str:
    return f"bon-de-commande-{order.number}.pdf"
