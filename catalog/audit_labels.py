"""French labels of the catalogue audit trail: field names and stored values as users read them.

Audit rows store raw field names and the str() of each value ("tier_mode", "volume", "True",
"12.5000", "2026-09-01"), so old rows stay valid when labels change. This module turns them
into the form's labels and the French formats when the trail is shown.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.formatting import format_day, format_rate, format_unit_price

from .models import SALE_UNIT_LABELS, SALES_MODE_LABELS, TIER_MODE_LABELS, VAT_CATEGORY_LABELS

AUDIT_FIELD_LABELS = {
    # Categories
    "code": _l("Code"),
    "position": _l("Position"),
    # Suppliers
    "siren": _l("SIREN"),
    "siret": _l("SIRET"),
    "vat_number": _l("VAT number"),
    "address": _l("Address"),
    "contact_name": _l("Contact name"),
    "contact_email": _l("Contact e-mail"),
    "contact_phone": _l("Contact phone"),
    # Contracts
    "number": _l("Contract number"),
    "lot": _l("Lot"),
    "title": _l("Title"),
    "supplier_id": _l("Supplier (id)"),
    "start_date": _l("Start date"),
    "end_date": _l("End date"),
    "sales_mode": _l("Sales mode"),
    # Products
    "reference": _l("Reference"),
    "name": _l("Name"),
    "description": _l("Description"),
    "category_id": _l("Category (id)"),
    "unit": _l("Sale unit"),
    "vat_category": _l("VAT category"),
    "vat_rate": _l("VAT rate"),
    "vat_exemption_reason": _l("VAT exemption reason"),
    "contract_id": _l("Contract (id)"),
    "is_subscription": _l("Subscription"),
    "tier_mode": _l("Pooled pricing"),
    "status": _l("Status"),
    "is_example": _l("Example product"),
    "image": _l("Image"),
    # Prices and tiers
    "unit_price": _l("Unit price excl. VAT"),
    "valid_from": _l("Valid from"),
    "valid_to": _l("Valid to"),
    "tiers": _l("Pooled tiers"),
}

PRODUCT_STATUS_LABELS = {"active": _l("Active"), "archived": _l("Archived")}

# Fields whose stored value is a key of a label dict.
_VALUE_LABELS = {
    "unit": {unit.value: label for unit, label in SALE_UNIT_LABELS.items()},
    "sales_mode": {mode.value: label for mode, label in SALES_MODE_LABELS.items()},
    "tier_mode": {mode.value: label for mode, label in TIER_MODE_LABELS.items()},
    "vat_category": VAT_CATEGORY_LABELS,
    "status": PRODUCT_STATUS_LABELS,
}
_BOOLEAN_FIELDS = {"is_subscription", "is_example"}
_DATE_FIELDS = {"start_date", "end_date", "valid_from", "valid_to"}


def audit_field_label(name: str) -> str:
    """Return the French label of an audited field, or its raw name when it has none."""
    label = AUDIT_FIELD_LABELS.get(name)
    return str(label) if label is not None else name


def audit_value_text(name: str, value: str | None) -> str:
    """Return a stored audit value as users read it: labels, Oui/Non, 01/09/2026, 12,50 €."""
    if value is None or value == "":
        return "–"
    if name in _VALUE_LABELS:
        label = _VALUE_LABELS[name].get(value)
        return str(label) if label is not None else value
    if name in _BOOLEAN_FIELDS:
        return gettext("Yes") if value == "True" else gettext("No")
    if name in _DATE_FIELDS:
        try:
            return format_day(date.fromisoformat(value))
        except ValueError:
            return value
    if name in ("unit_price", "vat_rate"):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        return format_unit_price(number) if name == "unit_price" else format_rate(number)
    return value
