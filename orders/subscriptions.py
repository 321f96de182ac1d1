"""ENT and software subscriptions: one per school, product and school year, with their renewals.

- An approved order of a subscription product (Product.is_subscription) creates a subscription
  for the order's school year, 1 September to 31 August.
- An order placed during the school year it is for pays pro rata of the whole months left:
  a month counts when it starts on the order date or later. An order on 15 January 2027 for
  2026-2027 pays February to August, 7/12 of the yearly price.
- From RENEWAL_START (1 June by default), the daily renewal job handles each subscription of
  the current year. It puts a renewal line, sized on the school's current counts, into the
  buyer's cart for that school. It then notifies the buyer, who reviews and submits the cart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from babel.dates import format_date
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Numeric, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.auth.roles import Role
from app.extensions import db
from app.money import line_net_amount, round_amount, round_unit_price
from app import timeutils
from app.timeutils import PARIS, UTCDateTime, school_year_of, utcnow
from catalog.models import ProductStatus, SaleUnit

from .approval import active_member_users
from .campaign_models import Campaign, CampaignOrder
from .models import Order, OrderLine

if TYPE_CHECKING:
    from catalog.models import Product
    from members.models import Member, School

logger = logging.getLogger(__name__)

MONTHS_PER_YEAR = 12
LINE_NAME_MAX_LENGTH = 200


class Subscription(db.Model):
    """A school's subscription to one product for one school year, created by an approved order."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("months_paid BETWEEN 0 AND 12", name="months_paid_range"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), unique=True)
    # Starting year of the school year (2026 for 2026-2027).
    school_year: Mapped[int] = mapped_column(Integer, index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    months_paid: Mapped[int] = mapped_column(Integer, default=MONTHS_PER_YEAR)
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit: Mapped[str] = mapped_column(String(20))
    # The cart containing this subscription's renewal line for the next school year.
    renewal_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    renewal_prepared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship("Member")
    school: Mapped[School] = relationship("School")
    product: Mapped[Product] = relationship("Product")
    order: Mapped[Order] = relationship("Order", foreign_keys=[order_id])
    renewal_order: Mapped[Order | None] = relationship("Order", foreign_keys=[renewal_order_id])

    @property
    def school_year_label(self) -> str:
        return f"{self.school_year}-{self.school_year + 1}"


# --- School years and pro rata ------------------------------------------------------------


def school_year_bounds(school_year: int) -> tuple[date, date]:
    return date(school_year, 9, 1), date(school_year + 1, 8, 31)


def _month_starts(school_year: int) -> list[date]:
    return [date(school_year + (month < 9), month, 1) for month in (9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8)]


def pro_rata_months(order_day: date, school_year: int) -> int:
    """Return the whole months of ``school_year`` an order placed on ``order_day`` pays.

    A month counts when it starts on the order date or later: 12 before or on 1 September,
    7 on 15 January (February to August), 0 after the last month has started.
    """
    return sum(1 for start in _month_starts(school_year) if start >= order_day)


def pro_rata_amount(yearly_amount: Decimal, months: int) -> Decimal:
    """Return ``months``/12 of a yearly amount, to the cent: 7/12 of 1 234,56 € is 720,16 €."""
    return round_amount(Decimal(yearly_amount) * months / MONTHS_PER_YEAR)


def first_paid_month(order_day: date, school_year: int) -> date | None:
    return next((start for start in _month_starts(school_year) if start >= order_day), None)


def renewal_school_year(order: Order) -> int | None:
    """Return the school year a renewal cart is for, or None when ``order`` renews nothing."""
    year = db.session.scalar(
        select(func.min(Subscription.school_year)).where(Subscription.renewal_order_id == order.id)
    )
    return year + 1 if year is not None else None


def school_year_for_order(order: Order, order_day: date) -> int:
    """Return the school year an order is for: the renewed year plus one for a renewal, the
    campaign's year for a campaign order, else the school year containing ``order_day``."""
    renewal_year = renewal_school_year(order)
    if renewal_year is not None:
        return renewal_year
    campaign_year = db.session.scalar(
        select(Campaign.school_year).join(CampaignOrder, CampaignOrder.campaign_id == Campaign.id).where(
            CampaignOrder.order_id == order.id
        )
    )
    if campaign_year is not None:
        return campaign_year
    return school_year_of(order_day)


def pro_rata_note(months: int, order_day: date, school_year: int) -> str:
    """Describe on a line how its price was prorated."""
    first = first_paid_month(order_day, school_year)
    # The line name is printed on the French purchase order and invoices, whatever the user's locale.
    with force_locale("fr"):
        return _(
            "pro rata %(months)s/12: whole months from %(first)s to %(last)s (a month counts when it starts on or after the order date)",
            months=months,
            first=format_date(first, "MMMM yyyy", locale="fr") if first else "-",
            last=format_date(date(school_year + 1, 8, 1), "MMMM yyyy", locale="fr"),
        )


@dataclass(frozen=True)
class ProRata:
    """The share of a yearly subscription price that an order placed during the school year pays."""

    months: int
    school_year: int
    # The rule in words, in French, as the cart shows it and the line name stores it.
    note: str

    def unit_price(self, yearly_unit_price: Decimal) -> Decimal:
        """Return months/12 of a yearly unit price, rounded to 4 decimals."""
        return round_unit_price(yearly_unit_price * self.months / MONTHS_PER_YEAR)


def pro_rata_for(order: Order, order_day: date) -> ProRata | None:
    """Return the pro rata of an order placed on ``order_day``, or None when it pays 12 months."""
    school_year = school_year_for_order(order, order_day)
    months = pro_rata_months(order_day, school_year)
    if months >= MONTHS_PER_YEAR:
        return None
    return ProRata(months=months, school_year=school_year, note=pro_rata_note(months, order_day, school_year))


def apply_pro_rata(order: Order, order_day: date) -> int:
    """Prorate the subscription lines of an order placed during the school year it is for.

    Each subscription line's unit price becomes months/12 of the catalogue's yearly price
    (rounded to 4 decimals) and its name states the rule. Call it after the lines were copied
    from the catalogue, so a resubmission prorates the yearly price again. The cart prices its
    lines with the same ``ProRata``, so it shows what submission stores. Returns the months
    paid (12 when nothing was prorated).
    """
    pro_rata = pro_rata_for(order, order_day)
    if pro_rata is None:
        return MONTHS_PER_YEAR
    for line in order.lines:
        if not line.product.is_subscription:
            continue
        line.unit_price = pro_rata.unit_price(line.unit_price)
        line.net_amount = line_net_amount(line.quantity, line.unit_price)
        line.name = f"{line.name} – {pro_rata.note}"[:LINE_NAME_MAX_LENGTH]
    logger.info("Order %s prorated to %s/12 for school year %s", order.id, pro_rata.months, pro_rata.school_year)
    return pro_rata.months


# --- Subscriptions from approved orders ---------------------------------------------------


def create_subscriptions(order: Order) -> list[Subscription]:
    """Create one subscription per subscription line of an approved order (once per line)."""
    order_day = (order.submitted_at or timeutils.utcnow()).astimezone(PARIS).date()
    school_year = school_year_for_order(order, order_day)
    starts_on, ends_on = school_year_bounds(school_year)
    months = pro_rata_months(order_day, school_year)
    created = []
    for line in order.lines:
        if not line.product.is_subscription:
            continue
        if db.session.scalar(select(Subscription.id).where(Subscription.order_line_id == line.id)):
            continue
        subscription = Subscription(
            member_id=order.member_id,
            school_id=order.school_id,
            product_id=line.product_id,
            order_id=order.id,
            order_line_id=line.id,
            school_year=school_year,
            starts_on=max(starts_on, first_paid_month(order_day, school_year) or starts_on),
            ends_on=ends_on,
            months_paid=min(months, MONTHS_PER_YEAR),
            quantity=line.quantity,
            unit=line.unit,
        )
        db.session.add(subscription)
        created.append(subscription)
    db.session.flush()
    for subscription in created:
        logger.info(
            "Subscription %s created from order %s: school %s, product %s, %s",
            subscription.id,
            order.id,
            subscription.school_id,
            subscription.product_id,
            subscription.school_year_label,
        )
    return created


def subscriptions_of_member(member_id: int) -> list[Subscription]:
    return list(
        db.session.scalars(
            select(Subscription)
            .where(Subscription.member_id == member_id)
            .order_by(Subscription.school_year.desc(), Subscription.school_id, Subscription.id)
        )
    )


# --- Renewals -----------------------------------------------------------------------------


def renewal_quantity(product: Product, school: School, previous: Decimal) -> Decimal:
    """Size a renewal on the school's current counts.

    A per-pupil product takes the pupil count, a per-class product the class count and a
    per-school product 1. Other units, and a missing count, keep ``previous``.
    """
    unit = SaleUnit(product.unit)
    if unit == SaleUnit.PUPIL and school.pupils:
        return Decimal(school.pupils)
    if unit == SaleUnit.CLASS and school.classes:
        return Decimal(school.classes)
    if unit == SaleUnit.SCHOOL:
        return Decimal(1)
    return Decimal(previous)


def renewal_opens_on(school_year: int) -> date:
    """Return the day from which the renewals of ``school_year`` are prepared."""
    month, day = current_app.config["RENEWAL_START"]
    return date(school_year + 1, month, day)


def _renewal_buyer(subscription: Subscription) -> User | None:
    """Return the buyer who placed the subscription's order when still active, else another buyer."""
    placer = subscription.order.created_by
    if placer.is_active_account and placer.role == Role.BUYER.value and placer.member_id == subscription.member_id:
        return placer
    buyers = active_member_users(subscription.member_id, Role.BUYER)
    return buyers[0] if buyers else None


def _renewal_blocker(subscription: Subscription) -> str | None:
    """Return why a subscription cannot be renewed, for the log (None when it can)."""
    if not subscription.school.is_open:
        return "school closed"
    if not subscription.member.is_active_member:
        return "member not active"
    if subscription.product.status != ProductStatus.ACTIVE.value:
        return "product archived"
    already = db.session.scalar(
        select(Subscription.id).where(
            Subscription.school_id == subscription.school_id,
            Subscription.product_id == subscription.product_id,
            Subscription.school_year == subscription.school_year + 1,
        )
    )
    if already is not None:
        return f"subscription {already} already covers the next school year"
    return None


def prepare_renewal(subscription: Subscription, day: date) -> Order | None:
    """Put the renewal line of one subscription into its buyer's cart and notify the buyer.

    Returns the cart, or None when the subscription cannot be renewed (logged with the reason).
    Raises catalog's NotOrderable when the product has no price on ``day``.
    """
    from . import services
    from .notifications import notify_renewal_prepared

    blocker = _renewal_blocker(subscription)
    buyer = _renewal_buyer(subscription) if blocker is None else None
    if blocker is None and buyer is None:
        blocker = "member has no active buyer"
    if blocker is not None:
        logger.warning("Subscription %s not renewed: %s", subscription.id, blocker)
        return None

    school, product = subscription.school, subscription.product
    quantity = renewal_quantity(product, school, subscription.quantity)
    cart = services.find_cart(buyer, school)
    line: OrderLine | None = next((line for line in cart.lines if line.product_id == product.id), None) if cart else None
    if line is None:
        line = services.add_to_cart(buyer, school, product, quantity, day)
        cart = line.order
    else:
        services.change_line_quantity(cart, line.id, quantity)
    subscription.renewal_order_id = cart.id
    subscription.renewal_prepared_at = timeutils.utcnow()
    db.session.flush()
    notify_renewal_prepared(cart, subscription, buyer, quantity)
    logger.info(
        "Subscription %s renewal prepared in cart %s for user %s: %s x product %s",
        subscription.id,
        cart.id,
        buyer.id,
        quantity,
        product.id,
    )
    return cart


def prepare_renewals(fire_time: datetime) -> str:
    """Prepare, from RENEWAL_START to 31 August, the renewal of each subscription of the current
    school year that has none yet. Running it again changes nothing."""
    from catalog.services import NotOrderable

    day = fire_time.astimezone(PARIS).date()
    school_year = school_year_of(day)
    if day < renewal_opens_on(school_year):
        return f"renewals of {school_year}-{school_year + 1} open on {renewal_opens_on(school_year).isoformat()}"
    pending = list(
        db.session.scalars(
            select(Subscription)
            .where(Subscription.school_year == school_year, Subscription.renewal_order_id.is_(None))
            .order_by(Subscription.id)
        )
    )
    prepared = skipped = 0
    for subscription in pending:
        try:
            cart = prepare_renewal(subscription, day)
        except NotOrderable as error:
            logger.warning("Subscription %s not renewed: product %s cannot be ordered: %s",
                           subscription.id, subscription.product_id, error)
            cart = None
        if cart is None:
            skipped += 1
        else:
            prepared += 1
    return f"{prepared} renewals prepared, {skipped} skipped"
