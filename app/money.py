"""Decimal money helpers and the EN 16931 totals (net, VAT per category and rate, gross).

Rules, as Chorus Pro and the Factur-X validators apply them:
- a line net amount is round(quantity x unit price, 2), half-up;
- VAT is computed once per VAT category and rate on the sum of the line nets
  (BR-CO-17), and the total VAT is the sum of those subtotals (BR-CO-14).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from .formatting import format_exact, format_money, format_number, format_unit_price

AMOUNT_STEP = Decimal("0.01")
UNIT_PRICE_STEP = Decimal("0.0001")
QUANTITY_STEP = Decimal("0.001")
ZERO = Decimal("0.00")

# VAT categories as EN 16931 (UNTDID 5305) codes them.
VAT_STANDARD = "S"
VAT_EXEMPT = "E"
VAT_ZERO = "Z"
VAT_OUT_OF_SCOPE = "O"
VAT_CATEGORIES = (VAT_STANDARD, VAT_EXEMPT, VAT_ZERO, VAT_OUT_OF_SCOPE)
STANDARD_RATES = (Decimal("20.00"), Decimal("10.00"), Decimal("5.50"), Decimal("2.10"))


def round_amount(value: Decimal | int | str) -> Decimal:
    """Round to the cent, half-up (0.005 becomes 0.01)."""
    return Decimal(value).quantize(AMOUNT_STEP, rounding=ROUND_HALF_UP)


def round_unit_price(value: Decimal | int | str) -> Decimal:
    """Round a unit price to 4 decimals, half-up."""
    return Decimal(value).quantize(UNIT_PRICE_STEP, rounding=ROUND_HALF_UP)


def line_net_amount(quantity: Decimal | int, unit_price: Decimal) -> Decimal:
    """Return round(quantity x unit price, 2), half-up: the EN 16931 line net amount (BT-131)."""
    return round_amount(Decimal(quantity) * Decimal(unit_price))


def vat_amount(base_amount: Decimal, rate: Decimal) -> Decimal:
    """Return round(base x rate / 100, 2): the VAT of one category and rate (BR-CO-17)."""
    return round_amount(Decimal(base_amount) * Decimal(rate) / Decimal(100))


@dataclass(frozen=True)
class TaxableLine:
    """Fields of an order or invoice line that compute_totals reads."""

    net_amount: Decimal
    vat_category: str
    vat_rate: Decimal
    vat_exemption_reason: str | None = None


@dataclass(frozen=True)
class VatSubtotal:
    """One row of the VAT breakdown (EN 16931 BG-23)."""

    vat_category: str
    vat_rate: Decimal
    base_amount: Decimal
    vat_amount: Decimal
    exemption_reason: str | None = None


@dataclass(frozen=True)
class Totals:
    """Document totals: net (HT), VAT (TVA), gross (TTC), with the VAT breakdown."""

    net_amount: Decimal
    vat_amount: Decimal
    gross_amount: Decimal
    breakdown: list[VatSubtotal] = field(default_factory=list)


def compute_totals(lines: Iterable[TaxableLine]) -> Totals:
    """Compute the totals of a document from its line net amounts, EN 16931 style.

    The breakdown is sorted by category, then by decreasing rate, so documents list it in a
    stable order.
    """
    bases: dict[tuple[str, Decimal], Decimal] = {}
    reasons: dict[tuple[str, Decimal], str | None] = {}
    for line in lines:
        key = (line.vat_category, Decimal(line.vat_rate).quantize(AMOUNT_STEP))
        bases[key] = bases.get(key, ZERO) + Decimal(line.net_amount)
        if line.vat_exemption_reason and not reasons.get(key):
            reasons[key] = line.vat_exemption_reason

    breakdown = [
        VatSubtotal(
            vat_category=category,
            vat_rate=rate,
            base_amount=round_amount(base),
            vat_amount=vat_amount(base, rate),
            exemption_reason=reasons.get((category, rate)),
        )
        for (category, rate), base in sorted(
            bases.items(), key=lambda item: (VAT_CATEGORIES.index(item[0][0]), -item[0][1])
        )
    ]
    net = round_amount(sum((row.base_amount for row in breakdown), ZERO))
    vat = round_amount(sum((row.vat_amount for row in breakdown), ZERO))
    return Totals(net_amount=net, vat_amount=vat, gross_amount=net + vat, breakdown=breakdown)


# ASCII digits only: Python's \d also matches Arabic-Indic or fullwidth digits, which
# Decimal() would accept but no French user means.
_DECIMAL_PATTERN = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def parse_decimal(text: str | Decimal | int | float | None) -> Decimal | None:
    """Parse a French or English decimal: '1 234,56', '1234.56', '1.234,56' and '12' all work.

    Returns None for an empty value; raises ValueError on anything else that is not a number.
    """
    if text is None:
        return None
    if isinstance(text, Decimal):
        return text
    if isinstance(text, (int, float)):
        return Decimal(str(text))
    cleaned = (
        str(text)
        .strip()
        .replace("\u202f", "")
        .replace("\u00a0", "")
        .replace(" ", "")
        .replace("€", "")
    )
    if cleaned == "":
        return None
    if "," in cleaned:
        # A comma is the decimal separator; dots before it are thousands separators.
        cleaned = cleaned.replace(".", "").replace(",", ".")
    if not _DECIMAL_PATTERN.match(cleaned):
        raise ValueError(f"not a number: {text!r}")
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {text!r}") from exc


def to_cents(amount: Decimal) -> int:
    """Convert an amount in euros to integer cents (Stripe's unit)."""
    return int(round_amount(amount) * 100)


# --- Typed numbers ------------------------------------------------------------------------

# Largest values the database columns hold: Numeric(12, 2) amounts, Numeric(12, 4) unit prices,
# Numeric(12, 3) quantities and Integer counts (a signed 32-bit integer on PostgreSQL).
MAX_AMOUNT = Decimal("999999999.99")
MAX_UNIT_PRICE = Decimal("99999999.9999")
MAX_QUANTITY = Decimal("999999999.999")
MAX_COUNT = Decimal(2_147_483_647)


@dataclass(frozen=True)
class NumberRule:
    """Decimals and bounds that a typed number must respect, and how messages show it."""

    places: int
    max_value: Decimal
    min_value: Decimal = Decimal(0)
    allow_zero: bool = True
    # "amount" and "unit_price" show bounds in euros; "number" shows them bare.
    display: str = "number"


AMOUNT = NumberRule(places=2, max_value=MAX_AMOUNT, display="amount")
POSITIVE_AMOUNT = NumberRule(places=2, max_value=MAX_AMOUNT, allow_zero=False, display="amount")
UNIT_PRICE = NumberRule(places=4, max_value=MAX_UNIT_PRICE, display="unit_price")
QUANTITY = NumberRule(places=3, max_value=MAX_QUANTITY, allow_zero=False)
COUNT = NumberRule(places=0, max_value=MAX_COUNT)
VAT_RATE = NumberRule(places=2, max_value=Decimal(100))


def _show_bound(value: Decimal, rule: NumberRule) -> str:
    if rule.display == "amount":
        return format_money(value)
    if rule.display == "unit_price":
        return format_unit_price(value)
    return format_number(value)


def _show_typed(value: Decimal, text) -> str:
    """Format a typed value for a message: French digits, or its first 40 characters when huge."""
    if len(value.as_tuple().digits) > 40:
        return str(text).strip()[:40] + "…"
    return format_exact(value)


def parse_number(text: str | Decimal | int | None, rule: NumberRule, label: str) -> Decimal | None:
    """Parse a number typed by a user and check it against ``rule``; None when left empty.

    ``label`` is the field's name as the user sees it. Raises ValueError whose message is a
    lazy French sentence naming the field, the value and the fix: not a number, not whole,
    too many decimals, too large, negative, zero where not allowed, below the minimum.
    """
    try:
        value = parse_decimal(text)
    except ValueError:
        if rule.places == 0:
            raise ValueError(
                _l("%(field)s: « %(value)s » is not a whole number: enter digits only, for example 12.",
                   field=label, value=str(text).strip())
            ) from None
        raise ValueError(
            _l("%(field)s: « %(value)s » is not a number: enter digits with a decimal comma, for example 12,50.",
               field=label, value=str(text).strip())
        ) from None
    if value is None:
        return None

    displayed = _show_typed(value, text)
    if value > rule.max_value:
        raise ValueError(
            _l("%(field)s: %(value)s is too large: %(maximum)s at most.",
               field=label, value=displayed, maximum=_show_bound(rule.max_value, rule))
        )
    if value < 0 and rule.min_value >= 0:
        raise ValueError(
            _l("%(field)s: %(value)s is negative: enter a positive number.", field=label, value=displayed)
        )
    if value == 0 and not rule.allow_zero:
        raise ValueError(_l("%(field)s: enter a number greater than 0.", field=label))
    if value < rule.min_value:
        raise ValueError(
            _l("%(field)s: %(value)s is too small: %(minimum)s at least.",
               field=label, value=displayed, minimum=_show_bound(rule.min_value, rule))
        )
    if value != value.quantize(Decimal(1).scaleb(-rule.places)):
        if rule.places == 0:
            raise ValueError(
                _l("%(field)s: %(value)s is not a whole number: enter a number without decimals.",
                   field=label, value=displayed)
            )
        raise ValueError(
            _l("%(field)s: %(value)s has too many decimals: %(places)s decimals at most.",
               field=label, value=displayed, places=rule.places)
        )
    return value


def parse_number_for(field: str, text: str | Decimal | int | None, rule: NumberRule, label: str) -> Decimal | None:
    """Parse like ``parse_number`` for a service: raises ValidationFailed on ``field`` instead."""
    from .errors import ValidationFailed

    try:
        return parse_number(text, rule, label)
    except ValueError as error:
        raise ValidationFailed(error.args[0], field=field) from None
