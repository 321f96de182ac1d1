"""Orders per school, their frozen lines and their lifecycle events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.money import TaxableLine, Totals, compute_totals
from app.timeutils import UTCDateTime, utcnow

from .states import ORDER_STATUS_LABELS, OrderStatus

if TYPE_CHECKING:
    from app.auth.models import User
    from catalog.models import Product
    from members.models import Member, School


class Order(db.Model):
    """An order for one school (the beneficiary), paid by the school's member.

    A draft is the buyer's cart: it has no number, and its lines follow the catalogue. At
    submission the lines are frozen and the order takes its number.
    """

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("net_amount >= 0", name="net_amount_not_negative"),
        CheckConstraint("vat_amount >= 0", name="vat_amount_not_negative"),
        CheckConstraint("gross_amount >= 0", name="gross_amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.DRAFT.value, index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    service_code: Mapped[str] = mapped_column(String(100), default="")
    engagement_number: Mapped[str] = mapped_column(String(50), default="")
    buyer_note: Mapped[str] = mapped_column(Text, default="")
    net_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    vat_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    gross_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    rejection_reason: Mapped[str] = mapped_column(Text, default="")
    # The submit form's one-time token: a resubmitted form finds the order it already made.
    submission_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The approved purchase order PDF, stored once and served unchanged.
    purchase_order_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    purchase_order_sha256: Mapped[str | None] = mapped_column(String(64))

    member: Mapped[Member] = relationship("Member")
    school: Mapped[School] = relationship("School")
    created_by: Mapped[User] = relationship("User", foreign_keys=[created_by_id])
    submitted_by: Mapped[User | None] = relationship("User", foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship("User", foreign_keys=[decided_by_id])
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position, OrderLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    @property
    def status_enum(self) -> OrderStatus:
        return OrderStatus(self.status)

    @property
    def status_label(self) -> str:
        return str(ORDER_STATUS_LABELS[OrderStatus(self.status)])

    @property
    def is_draft(self) -> bool:
        return self.status == OrderStatus.DRAFT.value

    def totals(self) -> Totals:
        """Compute the EN 16931 totals and VAT breakdown from the lines."""
        return compute_totals(
            TaxableLine(
                net_amount=line.net_amount,
                vat_category=line.vat_category,
                vat_rate=line.vat_rate,
                vat_exemption_reason=line.vat_exemption_reason or None,
            )
            for line in self.lines
        )

    def __repr__(self) -> str:
        return f"<Order {self.id} {self.number or 'draft'} {self.status}>"


class OrderLine(db.Model):
    """One line of an order; reference, name, unit, price and VAT are copies taken from the catalogue."""

    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    reference: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    vat_category: Mapped[str] = mapped_column(String(1))
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    vat_exemption_reason: Mapped[str] = mapped_column(String(200), default="")
    contract_reference: Mapped[str] = mapped_column(String(100), default="")
    sales_mode: Mapped[str] = mapped_column(String(20), default="resale")
    net_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship("Product")


class OrderEvent(db.Model):
    """A lifecycle move of an order: who, when, from which status to which, and why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship("User")

    @property
    def to_status_label(self) -> str:
        return str(ORDER_STATUS_LABELS[OrderStatus(self.to_status)])


from . import campaign_models  # noqa: E402,F401  (registers the campaign tables with the orders)
