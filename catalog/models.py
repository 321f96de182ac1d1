"""The mutualised catalogue: categories, suppliers, contracts (marchés), products and prices."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutils import UTCDateTime, utcnow


class SaleUnit(str, enum.Enum):
    """Unit of sale of a product, in which the ordered quantity is counted."""

    SCHOOL = "school"
    CLASS = "class"
    PUPIL = "pupil"
    ITEM = "item"
    TRAINING_DAY = "training_day"


SALE_UNIT_LABELS = {
    SaleUnit.SCHOOL: _l("per school"),
    SaleUnit.CLASS: _l("per class"),
    SaleUnit.PUPIL: _l("per pupil account"),
    SaleUnit.ITEM: _l("per item"),
    SaleUnit.TRAINING_DAY: _l("per training day"),
}

# Short unit names used after a quantity ("12 classes").
SALE_UNIT_SHORT_LABELS = {
    SaleUnit.SCHOOL: _l("school(s)"),
    SaleUnit.CLASS: _l("class(es)"),
    SaleUnit.PUPIL: _l("pupil account(s)"),
    SaleUnit.ITEM: _l("item(s)"),
    SaleUnit.TRAINING_DAY: _l("training day(s)"),
}


class SalesMode(str, enum.Enum):
    """Sales mode of the centrale under a contract."""

    RESALE = "resale"  # the centrale buys and invoices its members
    INTERMEDIATION = "intermediation"  # the supplier invoices the member directly


SALES_MODE_LABELS = {
    SalesMode.RESALE: _l("Resale by the centrale"),
    SalesMode.INTERMEDIATION: _l("Intermediation (the supplier invoices the member)"),
}


class TierMode(str, enum.Enum):
    """Pooled pricing on the campaign's total quantity, named as Stripe names them."""

    NONE = "none"
    VOLUME = "volume"  # every unit at the price of the band the total reaches
    GRADUATED = "graduated"  # each unit at the price of its own band


TIER_MODE_LABELS = {
    TierMode.NONE: _l("No pooled tiers"),
    TierMode.VOLUME: _l("Volume: every unit at the price of the tier reached"),
    TierMode.GRADUATED: _l("Graduated: each unit at the price of its own band"),
}


class ProductStatus(str, enum.Enum):
    ACTIVE = "active"
    ARCHIVED = "archived"


VAT_CATEGORY_LABELS = {
    "S": _l("Standard rate"),
    "E": _l("Exempt"),
    "Z": _l("Zero rate"),
    "O": _l("Outside the scope of VAT"),
}


class Category(db.Model):
    """A catalogue category (ENT and subscriptions, hardware, licences, training, services)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)

    products: Mapped[list[Product]] = relationship(back_populates="category")


class Supplier(db.Model):
    """A contract holder (titulaire)."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    siren: Mapped[str | None] = mapped_column(String(9), unique=True)
    siret: Mapped[str | None] = mapped_column(String(14))
    vat_number: Mapped[str] = mapped_column(String(20), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")

    contracts: Mapped[list[Contract]] = relationship(back_populates="supplier")


class Contract(db.Model):
    """A framework contract (marché) or one of its lots, signed with one supplier."""

    __tablename__ = "contracts"
    __table_args__ = (
        UniqueConstraint("number", "lot"),
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(60))
    lot: Mapped[str] = mapped_column(String(20), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    sales_mode: Mapped[str] = mapped_column(String(20), default=SalesMode.RESALE.value)

    supplier: Mapped[Supplier] = relationship(back_populates="contracts")
    products: Mapped[list[Product]] = relationship(back_populates="contract")

    @property
    def reference(self) -> str:
        """The contract reference printed on documents: number, then lot when there is one."""
        return f"{self.number} lot {self.lot}" if self.lot else self.number

    @property
    def sales_mode_label(self) -> str:
        return str(SALES_MODE_LABELS[SalesMode(self.sales_mode)])

    def is_valid_on(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


class Product(db.Model):
    """A catalogue item; its price lives in ProductPrice versions."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("vat_rate >= 0", name="vat_rate_not_negative"),
        CheckConstraint("vat_category IN ('S', 'E', 'Z', 'O')", name="vat_category_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    unit: Mapped[str] = mapped_column(String(20))
    vat_category: Mapped[str] = mapped_column(String(1), default="S")
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("20.00"))
    # Legal reason printed when the VAT category is E (exempt), e.g. "CGI art. 261-4-4° a".
    vat_exemption_reason: Mapped[str] = mapped_column(String(200), default="")
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    is_subscription: Mapped[bool] = mapped_column(Boolean, default=False)
    tier_mode: Mapped[str] = mapped_column(String(20), default=TierMode.NONE.value)
    status: Mapped[str] = mapped_column(String(20), default=ProductStatus.ACTIVE.value)
    # Demo products carry example prices, labelled as such in the interface.
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)
    image_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    image_mime: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship(back_populates="products")
    contract: Mapped[Contract] = relationship(back_populates="products")
    prices: Mapped[list[ProductPrice]] = relationship(
        back_populates="product", order_by="ProductPrice.valid_from.desc()", cascade="all, delete-orphan"
    )
    tiers: Mapped[list[PriceTier]] = relationship(
        back_populates="product", order_by="PriceTier.from_quantity", cascade="all, delete-orphan"
    )

    @property
    def unit_label(self) -> str:
        return str(SALE_UNIT_LABELS[SaleUnit(self.unit)])

    @property
    def unit_short_label(self) -> str:
        return str(SALE_UNIT_SHORT_LABELS[SaleUnit(self.unit)])

    @property
    def vat_category_label(self) -> str:
        return str(VAT_CATEGORY_LABELS[self.vat_category])

    @property
    def is_active(self) -> bool:
        return self.status == ProductStatus.ACTIVE.value

    def price_on(self, day: date) -> ProductPrice | None:
        """Return the price version valid on ``day``, or None."""
        for price in self.prices:
            if price.valid_from <= day and (price.valid_to is None or day <= price.valid_to):
                return price
        return None


class ProductPrice(db.Model):
    """One version of a product's unit price, valid from a date until the next version."""

    __tablename__ = "product_prices"
    __table_args__ = (
        UniqueConstraint("product_id", "valid_from"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    product: Mapped[Product] = relationship(back_populates="prices")


class PriceTier(db.Model):
    """A pooled price band: from this total quantity on, this unit price (excluding VAT)."""

    __tablename__ = "price_tiers"
    __table_args__ = (
        UniqueConstraint("product_id", "from_quantity"),
        CheckConstraint("from_quantity >= 1", name="from_quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    from_quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 4))

    product: Mapped[Product] = relationship(back_populates="tiers")
