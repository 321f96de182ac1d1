"""Catalogue rules used by orders and by the catalogue screens."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from app.errors import DomainError

from .models import Product


class NotOrderable(DomainError):
    """The product cannot be ordered today; the message says why."""


def current_unit_price(product: Product, day: date) -> Decimal:
    """Return the unit price (excluding VAT) that an order placed on ``day`` takes.

    Raises NotOrderable when the product is archived, its contract has not started or has
    ended, or it has no price valid on that day.
    """
    if not product.is_active:
        raise NotOrderable(
            _l("%(name)s is archived and can no longer be ordered.", name=product.name)
        )
    contract = product.contract
    if day < contract.start_date:
        raise NotOrderable(
            _l(
                "%(name)s cannot be ordered yet: contract %(contract)s starts on %(start)s.",
                name=product.name,
                contract=contract.reference,
                start=contract.start_date.strftime("%d/%m/%Y"),
            )
        )
    if day > contract.end_date:
        raise NotOrderable(
            _l(
                "%(name)s can no longer be ordered: contract %(contract)s ended on %(end)s.",
                name=product.name,
                contract=contract.reference,
                end=contract.end_date.strftime("%d/%m/%Y"),
            )
        )
    price = product.price_on(day)
    if price is None:
        raise NotOrderable(
            _l("%(name)s has no price valid on %(day)s.", name=product.name, day=day.strftime("%d/%m/%Y"))
        )
    return price.unit_price
