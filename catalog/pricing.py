"""Pooled tier maths and tier validation, pure Decimal functions with no database access.

A band applies from its ``from_quantity`` up to the next band's start minus one; the last band
is open-ended. Modes as Stripe names them: ``volume`` prices every unit at the band that the
total reaches, ``graduated`` prices each unit at the band it falls in.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from flask_babel import lazy_gettext as _l

from app.errors import ValidationFailed
from app.formatting import format_number, format_unit_price
from app.money import MAX_COUNT, UNIT_PRICE, line_net_amount, parse_number, round_amount, round_unit_price

from .models import TierMode


class TierLike(Protocol):
    from_quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Tier:
    """One band as entered: its start, its optional stated end, and its unit price excluding VAT."""

    from_quantity: int
    unit_price: Decimal
    to_quantity: int | None = None


@dataclass(frozen=True)
class Band:
    """One band with the end that the next band's start implies (None for the last band)."""

    from_quantity: int
    to_quantity: int | None
    unit_price: Decimal


def _sorted(tiers: Sequence[TierLike]) -> list[TierLike]:
    if not tiers:
        raise ValueError("pooled pricing needs at least one tier")
    return sorted(tiers, key=lambda tier: tier.from_quantity)


def tier_bands(tiers: Sequence[TierLike]) -> list[Band]:
    """Return the bands of valid tiers with each band's implied end, for display and export."""
    if not tiers:
        return []
    ordered = _sorted(tiers)
    bands = []
    for index, tier in enumerate(ordered):
        end = ordered[index + 1].from_quantity - 1 if index + 1 < len(ordered) else None
        bands.append(Band(tier.from_quantity, end, Decimal(tier.unit_price)))
    return bands


def list_price(tiers: Sequence[TierLike]) -> Decimal:
    """Return the price a member would pay alone: the first band's unit price."""
    return Decimal(_sorted(tiers)[0].unit_price)


def unit_price_for_total(tiers: Sequence[TierLike], mode: TierMode | str, total_quantity: int) -> Decimal:
    """Return the unit price (excluding VAT) that a pooled total reaches.

    Volume mode returns the price of the band the total falls in. Graduated mode returns the
    average unit price, amount_for_quantity(total) / total, rounded to 4 decimals. A total
    below 1 returns the list price.
    """
    mode = TierMode(mode)
    ordered = _sorted(tiers)
    if total_quantity < 1:
        return Decimal(ordered[0].unit_price)
    if mode == TierMode.VOLUME:
        reached = ordered[0]
        for tier in ordered:
            if tier.from_quantity <= total_quantity:
                reached = tier
        return Decimal(reached.unit_price)
    if mode == TierMode.GRADUATED:
        return round_unit_price(_graduated_amount(ordered, total_quantity) / Decimal(total_quantity))
    raise ValueError(f"tier mode {mode.value!r} has no pooled price")


def _graduated_amount(ordered: list[TierLike], quantity: int) -> Decimal:
    """Return the unrounded sum, over the bands, of the units in each band times its price."""
    amount = Decimal(0)
    for index, tier in enumerate(ordered):
        if quantity < tier.from_quantity:
            break
        band_end = ordered[index + 1].from_quantity - 1 if index + 1 < len(ordered) else quantity
        units = min(quantity, band_end) - tier.from_quantity + 1
        amount += Decimal(units) * Decimal(tier.unit_price)
    return amount


def amount_for_quantity(tiers: Sequence[TierLike], mode: TierMode | str, quantity: int) -> Decimal:
    """Return the net amount, rounded to the cent, of ``quantity`` units counted from unit 1.

    Volume: quantity x the price of the band reached. Graduated: the sum of each band's units
    times its price, rounded once at the end.
    """
    mode = TierMode(mode)
    if quantity < 1:
        return round_amount(0)
    if mode == TierMode.VOLUME:
        return line_net_amount(quantity, unit_price_for_total(tiers, mode, quantity))
    if mode == TierMode.GRADUATED:
        return round_amount(_graduated_amount(_sorted(tiers), quantity))
    raise ValueError(f"tier mode {mode.value!r} has no pooled price")


def next_tier(tiers: Sequence[TierLike], total: int) -> TierLike | None:
    """Return the first band that starts above ``total``, or None when the last band is reached."""
    for tier in _sorted(tiers):
        if tier.from_quantity > total:
            return tier
    return None


def tier_errors(tiers: Sequence[Tier]) -> list[str]:
    """Return one message per broken rule of the bands, in their given order.

    The rules: there is at least one band, and the first starts at 1. Starts increase. A stated
    end is not below its start, and the next band starts right after it, so there is no gap
    and no overlap. The last band has no end, and no unit price is negative.
    """
    if not tiers:
        return [_l("Pooled tiers are missing: a volume or graduated mode needs at least one band starting at 1.")]
    errors = []
    if tiers[0].from_quantity != 1:
        errors.append(
            _l(
                "Tier 1 starts at %(start)s: the first band must start at quantity 1.",
                start=tiers[0].from_quantity,
            )
        )
    for index, tier in enumerate(tiers, start=1):
        if tier.unit_price < 0:
            errors.append(
                _l(
                    "Tier %(index)s has a negative unit price (%(price)s): enter 0 or more.",
                    index=index,
                    price=format_unit_price(tier.unit_price),
                )
            )
        if tier.to_quantity is not None and tier.to_quantity < tier.from_quantity:
            errors.append(
                _l(
                    "Tier %(index)s ends at %(end)s, before its start %(start)s: the upper bound must "
                    "be at least the start.",
                    index=index,
                    end=tier.to_quantity,
                    start=tier.from_quantity,
                )
            )
        if index == 1:
            continue
        previous = tiers[index - 2]
        if tier.from_quantity <= previous.from_quantity:
            errors.append(
                _l(
                    "Tier %(index)s starts at %(start)s, not above the previous band's start "
                    "%(previous)s: from-quantities must increase.",
                    index=index,
                    start=tier.from_quantity,
                    previous=previous.from_quantity,
                )
            )
        elif previous.to_quantity is not None and tier.from_quantity > previous.to_quantity + 1:
            errors.append(
                _l(
                    "Gap between tiers %(previous)s and %(index)s: quantities %(gap_start)s to %(gap_end)s "
                    "have no price. Start tier %(index)s at %(expected)s.",
                    previous=index - 1,
                    index=index,
                    gap_start=previous.to_quantity + 1,
                    gap_end=tier.from_quantity - 1,
                    expected=previous.to_quantity + 1,
                )
            )
        elif previous.to_quantity is not None and tier.from_quantity <= previous.to_quantity:
            errors.append(
                _l(
                    "Tiers %(previous)s and %(index)s overlap: tier %(previous)s goes up to %(end)s and "
                    "tier %(index)s starts at %(start)s. Start tier %(index)s at %(expected)s.",
                    previous=index - 1,
                    index=index,
                    end=previous.to_quantity,
                    start=tier.from_quantity,
                    expected=previous.to_quantity + 1,
                )
            )
    if tiers[-1].to_quantity is not None:
        errors.append(
            _l(
                "The last tier ends at %(end)s: leave its upper bound empty so that larger totals "
                "have a price.",
                end=tiers[-1].to_quantity,
            )
        )
    return errors


def check_tiers(tiers: Sequence[Tier]) -> None:
    """Raise ValidationFailed naming every broken tier rule, or return when the bands are valid."""
    errors = tier_errors(tiers)
    if errors:
        raise ValidationFailed(" ".join(str(error) for error in errors), field="tiers")


def decimal_text(value: Decimal, min_decimals: int = 2) -> str:
    """Write a price with a decimal comma, no thousands separator and 2 to 4 decimals: 1249,00, 0,4750."""
    text = f"{Decimal(value):.4f}"
    whole, decimals = text.split(".")
    decimals = decimals.rstrip("0").ljust(min_decimals, "0")
    return f"{whole},{decimals}" if decimals else whole


def format_tiers(tiers: Sequence[TierLike]) -> str:
    """Write bands as text, for example 1-4999:3,20|5000-14999:2,80|15000+:2,40."""
    parts = []
    for band in tier_bands(tiers):
        bounds = f"{band.from_quantity}-{band.to_quantity}" if band.to_quantity else f"{band.from_quantity}+"
        parts.append(f"{bounds}:{decimal_text(band.unit_price)}")
    return "|".join(parts)


# Negative tier prices pass parsing so that tier_errors names the band they sit in.
TIER_PRICE = dataclasses.replace(UNIT_PRICE, min_value=-UNIT_PRICE.max_value)
_TIER_PART = re.compile(r"^([0-9]+)\s*(?:-\s*([0-9]+)|\+)?\s*:\s*(\S.*)$")


def parse_tiers(text: str) -> list[Tier]:
    """Read bands written as by format_tiers; a band may omit its end (1:3,20|5000:2,80).

    Raises ValidationFailed on a band that is not from-to:price. The bands' order and bounds
    are checked by tier_errors, not here.
    """
    tiers = []
    for part in re.split(r"[|\n]", text or ""):
        part = part.strip()
        if not part:
            continue
        match = _TIER_PART.match(part)
        price = None
        if match:
            bounds = [Decimal(group) for group in match.group(1, 2) if group]
            too_large = next((bound for bound in bounds if bound > MAX_COUNT), None)
            if too_large is not None:
                raise ValidationFailed(
                    _l("Tier %(value)s: quantity %(quantity)s is too large: %(maximum)s at most.",
                       value=part, quantity=format_number(too_large), maximum=format_number(MAX_COUNT)),
                    field="tiers",
                )
            try:
                price = parse_number(match.group(3), TIER_PRICE, str(_l("Tier %(value)s", value=part)))
            except ValueError as error:
                raise ValidationFailed(error.args[0], field="tiers") from None
        if price is None:
            raise ValidationFailed(
                _l("Tier %(value)s is invalid: write each band as from-to:unit price, separated by |, "
                   "for example 1-4999:3,20|5000+:2,80.", value=part),
                field="tiers",
            )
        end = int(match.group(2)) if match.group(2) else None
        tiers.append(Tier(int(match.group(1)), price, end))
    return tiers
