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
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.errors import NotFound
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


def store_purchase_order(order: Order) -> None:
    """Render the approved order's PDF and keep its bytes and SHA-256 on the order."""
    pdf = render_purchase_order(order)
    order.purchase_order_pdf = pdf
    order.purchase_order_sha256 = sha256_hex(pdf)
    logger.info(
        "Purchase order of order %s stored (%s bytes, sha256 %s)", order.id, len(pdf), order.purchase_order_sha256
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
