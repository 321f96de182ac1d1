"""Campaigns of pooled products, the orders they price, their shared costs and settlements."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutils import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.auth.models import User
    from catalog.models import Product

    from .models import Order


class CampaignStatus(str, enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


CAMPAIGN_STATUS_LABELS = {
    CampaignStatus.OPEN: _l("Open"),
    CampaignStatus.CLOSED: _l("Closed"),
}


class AllocationKey(str, enum.Enum):
    """Allocation basis of a shared cost, counted over the schools each member ordered for."""

    PUPILS = "pupils"
    CLASSES = "classes"
    SCHOOLS = "schools"


ALLOCATION_KEY_LABELS = {
    AllocationKey.PUPILS: _l("Pupils"),
    AllocationKey.CLASSES: _l("Classes"),
    AllocationKey.SCHOOLS: _l("Schools"),
}


class SettlementKind(str, enum.Enum):
    CREDIT = "credit"  # the final price is lower: a credit note
    COMPLEMENT = "complement"  # the final price is higher: a complementary invoice


SETTLEMENT_KIND_LABELS = {
    SettlementKind.CREDIT: _l("Credit note"),
    SettlementKind.COMPLEMENT: _l("Complementary invoice"),
}


class Campaign(db.Model):
    """An ordering window whose pooled volume sets the price of its products for every member."""

    __tablename__ = "campaigns"
    __table_args__ = (
        CheckConstraint("closes_on >= opens_on", name="dates_ordered"),
        CheckConstraint("status IN ('open', 'closed')", name="status_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    # Starting year of the school year the campaign orders for (2027 for 2027-2028).
    school_year: Mapped[int] = mapped_column(Integer)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=CampaignStatus.OPEN.value, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    closed_by: Mapped[User | None] = relationship("User")
    products: Mapped[list[CampaignProduct]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignProduct.id"
    )
    costs: Mapped[list[CampaignCost]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", order_by="CampaignCost.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status == CampaignStatus.OPEN.value

    @property
    def status_label(self) -> str:
        return str(CAMPAIGN_STATUS_LABELS[CampaignStatus(self.status)])

    @property
    def school_year_label(self) -> str:
        return f"{self.school_year}-{self.school_year + 1}"

    def accepts_orders_on(self, day: date) -> bool:
        return self.is_open and self.opens_on <= day <= self.closes_on

    def __repr__(self) -> str:
        return f"<Campaign {self.id} {self.name} {self.status}>"


class CampaignProduct(db.Model):
    """A pooled product of a campaign, with its list price and, once closed, its final price."""

    __tablename__ = "campaign_products"
    __table_args__ = (
        UniqueConstraint("campaign_id", "product_id"),
        CheckConstraint("list_unit_price >= 0", name="list_unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    # The price a member would pay alone (the first tier), taken when the product joins.
    list_unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    # Set once, by the closing batch.
    final_quantity: Mapped[Decimal | None] = mapped_column(Numeric(14, 3))
    final_tier_from: Mapped[int | None] = mapped_column(Integer)
    final_unit_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))

    campaign: Mapped[Campaign] = relationship(back_populates="products")
    product: Mapped[Product] = relationship("Product")


class CampaignOrder(db.Model):
    """The link of an order to the campaign that priced it; an order has at most one."""

    __tablename__ = "campaign_orders"
    __table_args__ = (Index("ix_campaign_orders_campaign_order", "campaign_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    order: Mapped[Order] = relationship("Order")


class CampaignCost(db.Model):
    """A fixed cost shared by the members that ordered in the campaign, split by a key."""

    __tablename__ = "campaign_costs"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("allocation_key IN ('pupils', 'classes', 'schools')", name="allocation_key_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    allocation_key: Mapped[str] = mapped_column(String(20), default=AllocationKey.PUPILS.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship(back_populates="costs")

    @property
    def allocation_key_label(self) -> str:
        return str(ALLOCATION_KEY_LABELS[AllocationKey(self.allocation_key)])


class Settlement(db.Model):
    """Amount one order owes or is owed at campaign close, for one VAT category and rate.

    ``difference_net`` is final minus provisional: negative for a credit note, positive for a
    complementary invoice. Invoicing turns each row into a document and sets ``invoiced``.
    """

    __tablename__ = "settlements"
    __table_args__ = (
        UniqueConstraint("order_id", "vat_category", "vat_rate"),
        CheckConstraint("kind IN ('credit', 'complement')", name="kind_value"),
        CheckConstraint("difference_net <> 0", name="difference_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    vat_category: Mapped[str] = mapped_column(String(1))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    provisional_net: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    final_net: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    difference_net: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    difference_vat: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    kind: Mapped[str] = mapped_column(String(20))
    invoiced: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    order: Mapped[Order] = relationship("Order")

    @property
    def kind_label(self) -> str:
        return str(SETTLEMENT_KIND_LABELS[SettlementKind(self.kind)])

    @property
    def difference_gross(self) -> Decimal:
        return self.difference_net + self.difference_vat


class CampaignTotal(db.Model):
    """The pooled lines of one member and product in a closed campaign, summed by the close.

    The closing batch writes these rows once, in its transaction, so that the campaign report
    reads a few thousand sums in place of scanning every line. They use the same formulas as
    the live report: spend is the sum of each line's quantity x final unit price rounded to the
    cent, savings the sum of quantity x (list price - final price), not rounded.
    """

    __tablename__ = "campaign_totals"
    __table_args__ = (UniqueConstraint("campaign_id", "member_id", "product_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    spend_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    savings_amount: Mapped[Decimal] = mapped_column(Numeric(18, 7))
