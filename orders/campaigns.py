"""Campaign rules: pooled provisional prices, the closing batch, settlements and shared costs.

While a campaign is open, a line of one of its products takes, at submission, the unit price
of the tier that the campaign's total reaches with that line included. The total counts the
lines of every member's submitted and approved orders linked to the campaign. Closing computes
the final price once per product and records, per order and VAT rate, the difference between
the provisional and the final amounts (a Settlement).

Services flush and never commit: the view or CLI command that calls them commits or rolls back.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import distinct, func, insert, select

from app.auth.models import User
from app.errors import DomainError, NotFound, ValidationFailed
from app.extensions import db
from app.money import AMOUNT_STEP, ZERO, line_net_amount, round_amount, vat_amount
from app.timeutils import utcnow
from catalog.models import PriceTier, Product, TierMode
from catalog.pricing import list_price, next_tier, unit_price_for_total
from members.models import Member, School

from .campaign_models import (
    AllocationKey,
    Campaign,
    CampaignCost,
    CampaignOrder,
    CampaignProduct,
    CampaignStatus,
    CampaignTotal,
    Settlement,
    SettlementKind,
)
from .models import Order, OrderLine
from .states import OrderStatus

logger = logging.getLogger(__name__)

# Orders whose lines count towards a campaign's pooled total and get a settlement at close.
COUNTED_STATUSES = (OrderStatus.SUBMITTED.value, OrderStatus.APPROVED.value)


class CampaignClosed(DomainError):
    """An order joins a campaign that is already closed."""


def is_pooled(product: Product) -> bool:
    return product.tier_mode != TierMode.NONE.value and bool(product.tiers)


def pooled_quantity(total: Decimal | int | None) -> int:
    """Return the whole units that a pooled total counts for the tiers.

    NOTE: tiers start at whole quantities, so a fractional total is floored (12,5 counts as 12).
    """
    return int(Decimal(total or 0))


# --- Campaign set-up ----------------------------------------------------------------------


def get_campaign(campaign_id: int) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(_l("Campaign %(id)s not found.", id=campaign_id))
    return campaign


def get_campaign_by_name(name: str) -> Campaign:
    campaign = db.session.scalar(select(Campaign).where(Campaign.name == name))
    if campaign is None:
        raise NotFound(_l("Campaign %(name)s not found: check its exact name.", name=name))
    return campaign


def create_campaign(
    *, name: str, school_year: int, opens_on: date, closes_on: date, products: list[Product]
) -> Campaign:
    """Create an open campaign over ``products``, each with its list price (the first tier).

    Raises ValidationFailed when the name is taken, the dates are reversed, a product has no
    pooled tiers, or a product already belongs to a campaign whose window overlaps this one.
    """
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_l("The campaign name is missing: enter for example ENT 2027-2028."), field="name")
    if db.session.scalar(select(Campaign.id).where(Campaign.name == name)) is not None:
        raise ValidationFailed(
            _l("A campaign named %(name)s already exists: choose another name.", name=name), field="name"
        )
    if closes_on < opens_on:
        raise ValidationFailed(
            _l("The closing date is before the opening date: enter a closing date on or after the opening date."),
            field="closes_on",
        )
    if not products:
        raise ValidationFailed(_l("Choose at least one pooled product for the campaign."), field="products")

    campaign = Campaign(
        name=name,
        school_year=school_year,
        opens_on=opens_on,
        closes_on=closes_on,
        status=CampaignStatus.OPEN.value,
    )
    for product in products:
        if not is_pooled(product):
            raise ValidationFailed(
                _l(
                    "%(name)s has no pooled tiers: give it volume or graduated tiers in the catalogue first.",
                    name=product.name,
                ),
                field="products",
            )
        overlapping = _overlapping_campaign(product, opens_on, closes_on)
        if overlapping is not None:
            raise ValidationFailed(
                _l(
                    "%(product)s is already pooled in campaign %(campaign)s over overlapping dates: "
                    "choose dates outside that campaign's window.",
                    product=product.name,
                    campaign=overlapping.name,
                ),
                field="products",
            )
        campaign.products.append(CampaignProduct(product=product, list_unit_price=list_price(product.tiers)))
    db.session.add(campaign)
    db.session.flush()
    logger.info("Campaign %s (%s) created with %s products", campaign.id, name, len(products))
    return campaign


def _overlapping_campaign(product: Product, opens_on: date, closes_on: date) -> Campaign | None:
    return db.session.scalar(
        select(Campaign)
        .join(CampaignProduct, CampaignProduct.campaign_id == Campaign.id)
        .where(
            CampaignProduct.product_id == product.id,
            Campaign.opens_on <= closes_on,
            Campaign.closes_on >= opens_on,
        )
        .limit(1)
    )


def add_campaign_cost(campaign: Campaign, *, label: str, amount: Decimal, allocation_key: str) -> CampaignCost:
    """Add a shared fixed cost to ``campaign``; it is split when the reports are computed."""
    label = (label or "").strip()
    if not label:
        raise ValidationFailed(_l("The cost label is missing: enter for example ENT hosting 2027-2028."), field="label")
    if amount is None or amount <= 0:
        raise ValidationFailed(_l("The cost amount must be greater than 0 €."), field="amount")
    if round_amount(amount) != amount:
        raise ValidationFailed(_l("The cost amount has more than 2 decimals: enter it to the cent."), field="amount")
    if allocation_key not in {key.value for key in AllocationKey}:
        raise ValidationFailed(_l("Choose an allocation key: pupils, classes or schools."), field="allocation_key")
    cost = CampaignCost(label=label, amount=amount, allocation_key=allocation_key)
    campaign.costs.append(cost)
    db.session.flush()
    logger.info("Cost %s of %s € added to campaign %s", cost.id, amount, campaign.id)
    return cost


# --- Provisional prices -------------------------------------------------------------------


def campaign_for_product(product_id: int, day: date) -> Campaign | None:
    """Return the campaign whose window contains ``day`` and that pools the product, if any.

    An open campaign wins over a closed one, so a closed campaign is returned only when no
    open campaign pools the product on that day.
    """
    return db.session.scalar(
        select(Campaign)
        .join(CampaignProduct, CampaignProduct.campaign_id == Campaign.id)
        .where(
            CampaignProduct.product_id == product_id,
            Campaign.opens_on <= day,
            Campaign.closes_on >= day,
        )
        .order_by(Campaign.status.desc(), Campaign.opens_on.desc())
        .limit(1)
    )


def _pooled_lines(campaign_id: int, *columns):
    """Select ``columns`` over the pooled lines of the campaign's counted orders."""
    return (
        select(*columns)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(CampaignOrder, CampaignOrder.order_id == Order.id)
        .join(
            CampaignProduct,
            (CampaignProduct.campaign_id == CampaignOrder.campaign_id)
            & (CampaignProduct.product_id == OrderLine.product_id),
        )
        .where(CampaignOrder.campaign_id == campaign_id, Order.status.in_(COUNTED_STATUSES))
    )


def campaign_totals(campaign_id: int, *, exclude_order_id: int | None = None) -> dict[int, Decimal]:
    """Return {product_id: pooled quantity} over the campaign's counted orders, in one query."""
    query = _pooled_lines(campaign_id, OrderLine.product_id, func.sum(OrderLine.quantity)).group_by(
        OrderLine.product_id
    )
    if exclude_order_id is not None:
        query = query.where(Order.id != exclude_order_id)
    return {product_id: Decimal(total or 0) for product_id, total in db.session.execute(query)}


@dataclass(frozen=True)
class CampaignPriceInfo:
    """Current tier, provisional price and next tier of a pooled product in an open campaign."""

    campaign_id: int
    campaign_name: str
    closes_on: date
    tier_mode: str
    total_quantity: int
    tier_from: int
    unit_price: Decimal
    list_unit_price: Decimal
    next_tier_from: int | None
    next_unit_price: Decimal | None

    @property
    def units_to_next_tier(self) -> int | None:
        if self.next_tier_from is None:
            return None
        return self.next_tier_from - self.total_quantity


def reached_tier_from(tiers: list[PriceTier], total: int) -> int:
    """Return the start of the band that ``total`` falls in (the first band below it)."""
    reached = min(tier.from_quantity for tier in tiers)
    for tier in tiers:
        if reached < tier.from_quantity <= total:
            reached = tier.from_quantity
    return reached


def campaign_price_info(product: Product, day: date) -> CampaignPriceInfo | None:
    """Return the current tier, provisional price and next tier of ``product``, or None.

    None when no open campaign pools the product on ``day``. Templates include
    templates/campaigns/_tier_info.html with this value as ``tier_info``.
    """
    if not is_pooled(product):
        return None
    campaign = campaign_for_product(product.id, day)
    if campaign is None or not campaign.accepts_orders_on(day):
        return None
    total = pooled_quantity(campaign_totals(campaign.id).get(product.id))
    tiers = list(product.tiers)
    upcoming = next_tier(tiers, total)
    campaign_product = _campaign_product(campaign, product.id)
    return CampaignPriceInfo(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        closes_on=campaign.closes_on,
        tier_mode=product.tier_mode,
        total_quantity=total,
        tier_from=reached_tier_from(tiers, total),
        unit_price=unit_price_for_total(tiers, product.tier_mode, total),
        list_unit_price=campaign_product.list_unit_price,
        next_tier_from=upcoming.from_quantity if upcoming else None,
        next_unit_price=Decimal(upcoming.unit_price) if upcoming else None,
    )


def _campaign_product(campaign: Campaign, product_id: int) -> CampaignProduct:
    for campaign_product in campaign.products:
        if campaign_product.product_id == product_id:
            return campaign_product
    raise NotFound(_l("Product %(id)s is not pooled in this campaign.", id=product_id))


def _closed_message(campaign: Campaign):
    return _l(
        "Campaign %(name)s is closed: its pooled prices are final and it takes no more orders. "
        "Remove its products from the order or wait for the next campaign.",
        name=campaign.name,
    )


def apply_campaign_pricing(order: Order, day: date) -> Campaign | None:
    """Price the pooled lines of ``order`` at the provisional tier and link it to its campaign.

    Called at submission, before the order's totals are computed. A line's total includes the
    line itself, the other counted orders of the campaign and none of this order's earlier
    submissions. Returns the campaign, or None when no line is pooled on ``day``.

    Raises CampaignClosed when the order is already linked to a closed campaign or a line's
    campaign is closed, and ValidationFailed when the lines belong to two campaigns.
    NOTE: two orders submitted at the same moment may both miss each other's quantity; the
    closing batch corrects any such provisional price.
    """
    link = db.session.scalar(select(CampaignOrder).where(CampaignOrder.order_id == order.id))
    if link is not None and not link.campaign.is_open:
        raise CampaignClosed(_closed_message(link.campaign))

    campaign: Campaign | None = None
    for line in order.lines:
        found = campaign_for_product(line.product_id, day)
        if found is None:
            continue
        if not found.is_open:
            raise CampaignClosed(_closed_message(found))
        if campaign is not None and found.id != campaign.id:
            raise ValidationFailed(
                _l(
                    "This order mixes products of campaigns %(first)s and %(second)s: "
                    "order them separately, one order per campaign.",
                    first=campaign.name,
                    second=found.name,
                ),
                field="lines",
            )
        campaign = found
    if campaign is None:
        return None

    totals = campaign_totals(campaign.id, exclude_order_id=order.id)
    pooled_ids = {campaign_product.product_id for campaign_product in campaign.products}
    ordered_here: dict[int, Decimal] = defaultdict(Decimal)
    for line in order.lines:
        if line.product_id in pooled_ids:
            ordered_here[line.product_id] += Decimal(line.quantity)
    for line in order.lines:
        if line.product_id not in pooled_ids:
            continue
        product = line.product
        total = pooled_quantity(totals.get(line.product_id, ZERO) + ordered_here[line.product_id])
        line.unit_price = unit_price_for_total(list(product.tiers), product.tier_mode, total)
        line.net_amount = line_net_amount(line.quantity, line.unit_price)

    if link is None:
        db.session.add(CampaignOrder(order_id=order.id, campaign_id=campaign.id))
    else:
        link.campaign_id = campaign.id
    db.session.flush()
    logger.info("Order %s priced provisionally in campaign %s", order.id, campaign.id)
    return campaign


# --- Closing ------------------------------------------------------------------------------


@dataclass
class CloseResult:
    """Outcome of the closing batch. ``closed`` is False when the campaign was already closed."""

    campaign: Campaign
    closed: bool
    settlements: list[Settlement] = field(default_factory=list)


def close_campaign(campaign: Campaign, *, user: User | None = None, now: datetime | None = None) -> CloseResult:
    """Compute each product's final tier and price once, then the settlement of every order.

    A settlement row is kept per order, VAT category and rate whose final amount differs from
    the provisional one. An order whose amounts match gets none. Closing a closed campaign
    changes nothing. The campaign row is locked first (FOR UPDATE on PostgreSQL), so two
    concurrent closes produce one set of settlements.
    """
    locked = db.session.scalar(
        select(Campaign)
        .where(Campaign.id == campaign.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if not locked.is_open:
        logger.info("Campaign %s already closed on %s: nothing to do", locked.id, locked.closed_at)
        return CloseResult(campaign=locked, closed=False)

    totals = campaign_totals(locked.id)
    final_prices: dict[int, Decimal] = {}
    for campaign_product in locked.products:
        product = campaign_product.product
        total = totals.get(product.id, ZERO)
        whole_units = pooled_quantity(total)
        tiers = list(product.tiers)
        campaign_product.final_quantity = total
        campaign_product.final_tier_from = reached_tier_from(tiers, whole_units)
        campaign_product.final_unit_price = unit_price_for_total(tiers, product.tier_mode, whole_units)
        final_prices[product.id] = campaign_product.final_unit_price

    settlements = _record_settlements(locked, final_prices)
    _record_totals(locked)
    locked.status = CampaignStatus.CLOSED.value
    locked.closed_at = now or utcnow()
    locked.closed_by_id = user.id if user is not None else None
    db.session.flush()
    logger.info(
        "Campaign %s closed by user %s: %s products, %s settlements",
        locked.id,
        locked.closed_by_id,
        len(final_prices),
        len(settlements),
    )
    return CloseResult(campaign=locked, closed=True, settlements=settlements)


def _record_settlements(campaign: Campaign, final_prices: dict[int, Decimal]) -> list[Settlement]:
    """Sum, per order and VAT rate, the provisional and the final line nets of pooled lines."""
    rows = db.session.execute(
        select(
            Order.id,
            Order.member_id,
            OrderLine.product_id,
            OrderLine.quantity,
            OrderLine.net_amount,
            OrderLine.vat_category,
            OrderLine.vat_rate,
        )
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(CampaignOrder, CampaignOrder.order_id == Order.id)
        .where(
            CampaignOrder.campaign_id == campaign.id,
            Order.status.in_(COUNTED_STATUSES),
            OrderLine.product_id.in_(list(final_prices)),
        )
        .order_by(Order.id)
    )
    sums: dict[tuple[int, int, str, Decimal], list[Decimal]] = {}
    for order_id, member_id, product_id, quantity, net_amount, vat_category, vat_rate in rows:
        key = (order_id, member_id, vat_category, Decimal(vat_rate).quantize(AMOUNT_STEP))
        provisional, final = sums.setdefault(key, [ZERO, ZERO])
        sums[key] = [
            provisional + Decimal(net_amount),
            final + line_net_amount(Decimal(quantity), final_prices[product_id]),
        ]

    settlements = []
    for (order_id, member_id, vat_category, vat_rate), (provisional, final) in sums.items():
        difference = round_amount(final - provisional)
        if difference == 0:
            continue
        settlement = Settlement(
            campaign_id=campaign.id,
            order_id=order_id,
            member_id=member_id,
            vat_category=vat_category,
            vat_rate=vat_rate,
            provisional_net=round_amount(provisional),
            final_net=round_amount(final),
            difference_net=difference,
            difference_vat=vat_amount(difference, vat_rate),
            kind=(SettlementKind.CREDIT if difference < 0 else SettlementKind.COMPLEMENT).value,
        )
        db.session.add(settlement)
        settlements.append(settlement)
    return settlements


def _record_totals(campaign: Campaign) -> None:
    """Store the campaign's pooled quantity, spend and savings per member and product.

    One INSERT ... SELECT over the counted lines, after the final prices are flushed.
    NOTE: the sums are those of the close. An order rejected or cancelled afterwards still
    counts in them, as it counted in the final tier.
    """
    db.session.flush()
    pooled = _pooled_lines(
        campaign.id,
        CampaignProduct.campaign_id,
        Order.member_id,
        OrderLine.product_id,
        func.sum(OrderLine.quantity),
        func.sum(func.round(OrderLine.quantity * CampaignProduct.final_unit_price, 2)),
        # Savings are rounded per line, as the live reports round them, so both sum alike.
        func.sum(func.round(OrderLine.quantity * (CampaignProduct.list_unit_price - CampaignProduct.final_unit_price), 2)),
    ).group_by(CampaignProduct.campaign_id, Order.member_id, OrderLine.product_id)
    db.session.execute(
        insert(CampaignTotal).from_select(
            ["campaign_id", "member_id", "product_id", "quantity", "spend_amount", "savings_amount"], pooled
        )
    )


def campaign_settlements(campaign_id: int, member_id: int | None = None) -> list[Settlement]:
    """Return the settlements of a campaign, of one member when ``member_id`` is given."""
    query = select(Settlement).where(Settlement.campaign_id == campaign_id)
    if member_id is not None:
        query = query.where(Settlement.member_id == member_id)
    return list(db.session.scalars(query.order_by(Settlement.order_id, Settlement.vat_rate.desc())))


# --- Shared fixed costs -------------------------------------------------------------------


def allocate_amount(amount: Decimal, weights: dict[int, int]) -> dict[int, Decimal]:
    """Split ``amount`` in proportion to ``weights``, to the cent, so the shares add up exactly.

    Largest-remainder rounding: every share is first rounded down to the cent, then the cents
    left over go one each to the shares with the largest remainders (ties: larger weight, then
    smaller key). Returns an empty dict when the weights add up to 0.
    """
    total_weight = sum(weights.values())
    if total_weight <= 0:
        return {}
    cents = int(round_amount(amount) * 100)
    floors: dict[int, int] = {}
    remainders: dict[int, int] = {}
    for key, weight in weights.items():
        floors[key], remainders[key] = divmod(cents * weight, total_weight)
    left_over = cents - sum(floors.values())
    ranking = sorted(weights, key=lambda key: (-remainders[key], -weights[key], key))
    for key in ranking[:left_over]:
        floors[key] += 1
    return {key: (Decimal(value) / 100).quantize(AMOUNT_STEP) for key, value in floors.items()}


@dataclass(frozen=True)
class MemberBase:
    """The counts of the schools a member ordered for in a campaign."""

    member_id: int
    member_name: str
    siren: str
    schools: int
    classes: int
    pupils: int
    orders: int = 0

    def weight(self, key: AllocationKey | str) -> int:
        return {
            AllocationKey.PUPILS: self.pupils,
            AllocationKey.CLASSES: self.classes,
            AllocationKey.SCHOOLS: self.schools,
        }[AllocationKey(key)]


def campaign_member_bases(campaign_id: int) -> list[MemberBase]:
    """Return, per member that ordered, its ordered schools' count, classes, pupils and orders.

    Each school counts once, however many orders it has. A school with no recorded count
    counts 0 pupils or classes.
    """
    ordered_schools = (
        select(
            Order.member_id.label("member_id"),
            Order.school_id.label("school_id"),
            func.count(Order.id).label("orders"),
        )
        .join(CampaignOrder, CampaignOrder.order_id == Order.id)
        .where(CampaignOrder.campaign_id == campaign_id, Order.status.in_(COUNTED_STATUSES))
        .group_by(Order.member_id, Order.school_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Member.id,
            Member.name,
            Member.siren,
            func.count(School.id),
            func.coalesce(func.sum(School.classes), 0),
            func.coalesce(func.sum(School.pupils), 0),
            func.sum(ordered_schools.c.orders),
        )
        .select_from(ordered_schools)
        .join(Member, Member.id == ordered_schools.c.member_id)
        .join(School, School.id == ordered_schools.c.school_id)
        .group_by(Member.id, Member.name, Member.siren)
        .order_by(Member.name)
    )
    return [
        MemberBase(member_id, name, siren, int(schools), int(classes), int(pupils), int(orders))
        for member_id, name, siren, schools, classes, pupils, orders in rows
    ]


@dataclass(frozen=True)
class CostShare:
    member_id: int
    member_name: str
    siren: str
    base: int
    amount: Decimal


@dataclass(frozen=True)
class CostAllocation:
    """One shared cost split among the members; ``shares`` is empty when no base exists."""

    cost_id: int
    label: str
    amount: Decimal
    allocation_key: str
    allocation_key_label: str
    total_base: int
    shares: list[CostShare]

    @property
    def allocated_amount(self) -> Decimal:
        return sum((share.amount for share in self.shares), ZERO)


def allocate_campaign_costs(campaign: Campaign, bases: list[MemberBase] | None = None) -> list[CostAllocation]:
    """Split every shared cost of ``campaign`` among its ordering members, by each cost's key."""
    if bases is None:
        bases = campaign_member_bases(campaign.id)
    allocations = []
    for cost in campaign.costs:
        weights = {base.member_id: base.weight(cost.allocation_key) for base in bases}
        amounts = allocate_amount(cost.amount, weights)
        shares = [
            CostShare(base.member_id, base.member_name, base.siren, weights[base.member_id], amounts[base.member_id])
            for base in bases
            if base.member_id in amounts
        ]
        allocations.append(
            CostAllocation(
                cost_id=cost.id,
                label=cost.label,
                amount=cost.amount,
                allocation_key=cost.allocation_key,
                allocation_key_label=cost.allocation_key_label,
                total_base=sum(weights.values()),
                shares=shares,
            )
        )
    return allocations


def campaign_order_count(campaign_id: int) -> int:
    return db.session.scalar(
        select(func.count(distinct(Order.id)))
        .join(CampaignOrder, CampaignOrder.order_id == Order.id)
        .where(CampaignOrder.campaign_id == campaign_id, Order.status.in_(COUNTED_STATUSES))
    ) or 0


def list_campaigns() -> list[Campaign]:
    return list(db.session.scalars(select(Campaign).order_by(Campaign.opens_on.desc(), Campaign.name)))


def load_demo_campaigns() -> None:
    """Create the demo campaigns (one closed, one open) with their orders; safe to rerun."""
    from .campaign_demo import load_demo_campaigns as load

    load()
