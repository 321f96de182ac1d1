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
    """What the totals need of an order or invoice line."""

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


_DECIMAL_PATTERN = re.compile(r"^[+-]?\d+(\.\d+)?$")


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
