"""Catalogue rules used by orders and by the catalogue screens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.errors import DomainError, NotFound
from app.extensions import db
from app.money import round_unit_price

from .models import Category, Contract, Product, ProductPrice, ProductStatus, Supplier


class NotOrderable(DomainError):
    """The product cannot be ordered today. The message gives the reason."""


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


def is_orderable(product: Product, day: date) -> bool:
    """Return True when ``current_unit_price`` would give a price for ``day``."""
    try:
        current_unit_price(product, day)
    except NotOrderable:
        return False
    return True


def _price_valid_on(day: date):
    return (
        select(ProductPrice.id)
        .where(
            ProductPrice.product_id == Product.id,
            ProductPrice.valid_from <= day,
            or_(ProductPrice.valid_to.is_(None), ProductPrice.valid_to >= day),
        )
        .exists()
    )


@dataclass(frozen=True)
class ProductFilters:
    """The filters of a catalogue search; an empty value filters nothing."""

    search: str = ""
    category_id: int | None = None
    unit: str = ""
    supplier_id: int | None = None
    status: str = ""


def browse_products(filters: ProductFilters, *, members_view: bool, day: date) -> Select:
    """Build the query of the catalogue list, ordered by category then name.

    The members' view keeps only active products whose contract and price are valid on
    ``day``. The centrale's view shows every product, whatever its status.
    """
    query = (
        select(Product)
        .join(Product.category)
        .join(Product.contract)
        .options(
            selectinload(Product.prices),
            selectinload(Product.category),
            selectinload(Product.contract).selectinload(Contract.supplier),
        )
        .order_by(Category.position, Category.name, Product.name, Product.id)
    )
    if members_view:
        query = query.where(
            Product.status == ProductStatus.ACTIVE.value,
            Contract.start_date <= day,
            Contract.end_date >= day,
            _price_valid_on(day),
        )
    elif filters.status:
        query = query.where(Product.status == filters.status)
    if filters.search.strip():
        pattern = f"%{filters.search.strip()}%"
        query = query.where(
            or_(
                Product.name.ilike(pattern),
                Product.reference.ilike(pattern),
                Product.description.ilike(pattern),
            )
        )
    if filters.category_id:
        query = query.where(Product.category_id == filters.category_id)
    if filters.unit:
        query = query.where(Product.unit == filters.unit)
    if filters.supplier_id:
        query = query.where(Contract.supplier_id == filters.supplier_id)
    return query


def is_visible_to_members(product: Product, day: date) -> bool:
    """Return True when members see the product: active, contract valid and priced on ``day``."""
    return product.is_active and product.contract.is_valid_on(day) and product.price_on(day) is not None


def get_product_for_user(user: User, product_id: int, day: date) -> Product:
    """Return the product, or raise NotFound when it does not exist or members may not see it."""
    product = db.session.get(Product, product_id)
    if product is None or (user.is_member_side and not is_visible_to_members(product, day)):
        raise NotFound(_l("Product %(id)s not found.", id=product_id))
    return product


def gross_unit_price(product: Product, unit_price: Decimal) -> Decimal:
    """Return the unit price including VAT, rounded to 4 decimals like every unit price."""
    return round_unit_price(unit_price * (Decimal(100) + product.vat_rate) / Decimal(100))


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.name)))


def suppliers() -> list[Supplier]:
    return list(db.session.scalars(select(Supplier).order_by(Supplier.name)))
