"""Price versions and pooled tiers of a product, with their audit rows.

Order lines copy the unit price when an order is placed, so a new version never changes a
placed order. A version runs from its start date until the day before the next one starts.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from app.audit import diff_fields, record_audit
from app.errors import ValidationFailed
from app.extensions import db
from app.money import UNIT_PRICE, parse_number_for, round_unit_price

from .models import PriceTier, Product, ProductPrice, TierMode
from .pricing import Tier, check_tiers, format_tiers

logger = logging.getLogger(__name__)


def check_unit_price(unit_price: Decimal | None, *, field: str = "unit_price") -> Decimal:
    """Return the price rounded to its 4 decimals, or raise when it is missing, negative, finer
    than 4 decimals or too large for its Numeric(12, 4) column."""
    if unit_price is None:
        raise ValidationFailed(_l("Unit price is missing: enter the price excluding VAT, for example 12,50."), field=field)
    return round_unit_price(parse_number_for(field, unit_price, UNIT_PRICE, str(_l("Unit price"))))


def _price_label(price: ProductPrice) -> str:
    return f"{price.product.reference} {price.valid_from.isoformat()}"


def add_price_version(
    product: Product, unit_price: Decimal | None, valid_from: date, *, today: date, user_id: int | None
) -> ProductPrice:
    """Add a price version starting on ``valid_from`` and close the version before it on the eve.

    The start may not be in the past, nor the start of an existing version. A version added
    before a later one ends on the eve of that later one.
    """
    unit_price = check_unit_price(unit_price)
    if valid_from < today:
        raise ValidationFailed(
            _l("Start date %(day)s is in the past: a new price starts today or later, so placed orders and "
               "history stay as they were.", day=valid_from.strftime("%d/%m/%Y")),
            field="valid_from",
        )
    if any(price.valid_from == valid_from for price in product.prices):
        raise ValidationFailed(
            _l("A price of this product already starts on %(day)s: choose another start date.",
               day=valid_from.strftime("%d/%m/%Y")),
            field="valid_from",
        )
    earlier = [price for price in product.prices if price.valid_from < valid_from]
    later = [price for price in product.prices if price.valid_from > valid_from]
    new_price = ProductPrice(unit_price=unit_price, valid_from=valid_from, created_by_id=user_id)
    if later:
        new_price.valid_to = min(price.valid_from for price in later) - timedelta(days=1)
    if earlier:
        previous = max(earlier, key=lambda price: price.valid_from)
        if previous.valid_to is None or previous.valid_to >= valid_from:
            old_end = previous.valid_to
            previous.valid_to = valid_from - timedelta(days=1)
            record_audit(
                entity_type="product_price", entity_id=previous.id, action="updated",
                changes=diff_fields({"valid_to": old_end}, {"valid_to": previous.valid_to}),
                user_id=user_id, label=_price_label(previous),
            )
    product.prices.append(new_price)
    db.session.flush()
    record_audit(
        entity_type="product_price", entity_id=new_price.id, action="created",
        changes=diff_fields({}, {"unit_price": new_price.unit_price, "valid_from": new_price.valid_from,
                                 "valid_to": new_price.valid_to}),
        user_id=user_id, label=_price_label(new_price),
    )
    logger.info("Price %s of product %s from %s added by user %s", unit_price, product.id, valid_from, user_id)
    return new_price


def set_tiers(product: Product, mode: TierMode | str, tiers: list[Tier], *, user_id: int | None) -> bool:
    """Replace the product's pooled tiers and mode after checking the bands; returns True on a change.

    Mode none removes every band.
    """
    mode = TierMode(mode)
    if mode == TierMode.NONE:
        tiers = []
    else:
        check_tiers(tiers)
    before = {"tier_mode": product.tier_mode, "tiers": format_tiers(product.tiers)}
    after = {"tier_mode": mode.value, "tiers": format_tiers(tiers)}
    changes = diff_fields(before, after)
    if not changes:
        return False
    product.tier_mode = mode.value
    product.tiers.clear()
    db.session.flush()
    for tier in tiers:
        product.tiers.append(PriceTier(from_quantity=tier.from_quantity, unit_price=round_unit_price(tier.unit_price)))
    db.session.flush()
    record_audit(entity_type="price_tiers", entity_id=product.id, action="updated", changes=changes,
                 user_id=user_id, label=product.reference)
    logger.info("Tiers of product %s set to %s by user %s", product.id, after["tiers"] or "none", user_id)
    return True


def add_first_price(product: Product, unit_price: Decimal | None, valid_from: date, *, user_id: int | None) -> ProductPrice:
    """Give a product without prices its first version, which may start on any date.

    A product with no price was never ordered, so a start in the past rewrites no history.
    """
    if product.prices:
        raise ValueError(f"product {product.id} already has prices: use add_price_version")
    unit_price = check_unit_price(unit_price)
    price = ProductPrice(unit_price=unit_price, valid_from=valid_from, created_by_id=user_id)
    product.prices.append(price)
    db.session.flush()
    record_audit(
        entity_type="product_price", entity_id=price.id, action="created",
        changes=diff_fields({}, {"unit_price": price.unit_price, "valid_from": price.valid_from, "valid_to": None}),
        user_id=user_id, label=_price_label(price),
    )
    return price
