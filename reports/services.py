"""Pooled-cost report figures, aggregated by the database (GROUP BY with SUM).

Every figure counts the lines of submitted and approved orders. Once a line's campaign is
closed, its spend is its final net amount (quantity x final unit price, rounded to the cent).
Before that, and outside any campaign, its spend is the line's own net amount. A line's
savings is (list price - final or provisional price) x quantity, rounded to the cent, for a
pooled line, and 0 for the others. Amounts exclude VAT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import Select, case, distinct, func, literal, select
from sqlalchemy.orm import aliased, selectinload

from app.extensions import db
from app.money import ZERO, round_amount, round_unit_price
from app.timeutils import PARIS
from catalog.models import Category, Product
from catalog.pricing import unit_price_for_total
from members.models import Member, School
from orders.campaign_models import (
    CAMPAIGN_STATUS_LABELS,
    Campaign,
    CampaignOrder,
    CampaignProduct,
    CampaignStatus,
    CampaignTotal,
    Settlement,
)
from orders.campaigns import (
    COUNTED_STATUSES,
    CostAllocation,
    MemberBase,
    allocate_campaign_costs,
    campaign_member_bases,
    pooled_quantity,
    reached_tier_from,
)
from orders.models import Order, OrderLine

TOP_PRODUCT_COUNT = 10


def as_amount(value) -> Decimal:
    """Round a database sum to the cent. SQLite returns floats and PostgreSQL exact numerics."""
    if value is None:
        return ZERO
    return round_amount(Decimal(str(value)))


def as_quantity(value) -> Decimal:
    if value is None:
        return Decimal(0)
    quantity = Decimal(str(value)).quantize(Decimal("0.001"))
    if quantity == quantity.to_integral_value():
        return quantity.quantize(Decimal(1))
    return quantity.normalize()


def divide(amount: Decimal, count: int) -> Decimal | None:
    """Return amount / count to the cent, or None when count is 0 (shown as a dash)."""
    if not count:
        return None
    return round_amount(amount / Decimal(count))


# --- The line figures every report sums ---------------------------------------------------


_pooled = aliased(CampaignProduct, name="pooled")


def _line_spend():
    return case(
        (_pooled.final_unit_price.is_(None), OrderLine.net_amount),
        else_=func.round(OrderLine.quantity * _pooled.final_unit_price, 2),
    )


def _line_savings():
    """Return a line's savings rounded to the cent, as its spend is.

    Rounding each line, not each group, makes the savings per school, category and month
    add up to the same total, because every group then sums the same cent amounts.
    """
    paid_price = func.coalesce(_pooled.final_unit_price, OrderLine.unit_price)
    return case(
        (_pooled.id.is_(None), literal(0)),
        else_=func.round(OrderLine.quantity * (_pooled.list_unit_price - paid_price), 2),
    )


def _counted_lines(*columns) -> Select:
    """Select ``columns`` over the counted order lines, with their campaign and pooled product."""
    return (
        select(*columns)
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(CampaignOrder, CampaignOrder.order_id == Order.id)
        .outerjoin(
            _pooled,
            (_pooled.campaign_id == CampaignOrder.campaign_id) & (_pooled.product_id == OrderLine.product_id),
        )
        .where(Order.status.in_(COUNTED_STATUSES))
    )


def _spend_and_savings():
    return (
        func.sum(_line_spend()).label("spend"),
        func.sum(_line_savings()).label("savings"),
    )


def month_of(column):
    """Return the SQL expression of a timestamp's month as 'YYYY-MM', in Europe/Paris time.

    NOTE: SQLite has no time zones, so there the month is the UTC one. An order submitted in
    the last hours of a month's last day then falls in the next month.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Europe/Paris", column), "YYYY-MM")
    return func.strftime("%Y-%m", column)


# --- Campaign report ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFigures:
    product_id: int
    reference: str
    name: str
    unit_label: str
    quantity: Decimal
    tier_from: int
    list_unit_price: Decimal
    unit_price: Decimal
    spend: Decimal
    savings: Decimal


@dataclass(frozen=True)
class MemberFigures:
    member_id: int
    name: str
    siren: str
    schools: int
    classes: int
    pupils: int
    spend: Decimal
    savings: Decimal
    cost_shares: Decimal
    settlement_net: Decimal


@dataclass
class CampaignReport:
    """The centrale's view of one campaign's pooled lines; prices are final once it is closed.

    Other lines of the campaign's orders (products outside its tiers) are left out here and
    counted in the member report and the dashboard.
    """

    campaign: Campaign
    products: list[ProductFigures]
    members: list[MemberFigures]
    allocations: list[CostAllocation]
    order_count: int
    spend: Decimal = ZERO
    savings: Decimal = ZERO
    list_amount: Decimal = ZERO

    @property
    def is_final(self) -> bool:
        return not self.campaign.is_open

    @property
    def member_count(self) -> int:
        return len(self.members)

    @property
    def school_count(self) -> int:
        return sum(member.schools for member in self.members)

    @property
    def pupil_count(self) -> int:
        return sum(member.pupils for member in self.members)

    @property
    def class_count(self) -> int:
        return sum(member.classes for member in self.members)

    @property
    def shared_costs(self) -> Decimal:
        return sum((allocation.amount for allocation in self.allocations), ZERO)


def campaign_report(campaign: Campaign) -> CampaignReport:
    """Aggregate one campaign per product and per member, with its shared-cost allocation.

    A closed campaign's sums are read from the CampaignTotal rows its closing batch stored,
    which gives the same figures as aggregating its lines (benchmarks/README.md has the
    timings). An open campaign, or one closed before those rows existed, is aggregated live.
    """
    stored = _has_stored_totals(campaign)
    products = _campaign_products(campaign, _stored_sums(campaign, CampaignTotal.product_id) if stored else None)
    bases = campaign_member_bases(campaign.id)
    allocations = allocate_campaign_costs(campaign, bases)
    member_sums = _stored_sums(campaign, CampaignTotal.member_id) if stored else None
    members = _campaign_members(campaign, bases, allocations, member_sums)
    spend = sum((row.spend for row in products), ZERO)
    savings = sum((row.savings for row in products), ZERO)
    return CampaignReport(
        campaign=campaign,
        products=products,
        members=members,
        allocations=allocations,
        order_count=sum(base.orders for base in bases),
        spend=spend,
        savings=savings,
        list_amount=spend + savings,
    )


def _has_stored_totals(campaign: Campaign) -> bool:
    if campaign.is_open:
        return False
    return db.session.scalar(select(CampaignTotal.id).where(CampaignTotal.campaign_id == campaign.id).limit(1)) is not None


def _stored_sums(campaign: Campaign, key) -> dict[int, tuple]:
    """Return {key: (quantity, spend, savings)} summed from a closed campaign's stored totals."""
    rows = db.session.execute(
        select(
            key,
            func.sum(CampaignTotal.quantity),
            func.sum(CampaignTotal.spend_amount),
            func.sum(CampaignTotal.savings_amount),
        )
        .where(CampaignTotal.campaign_id == campaign.id)
        .group_by(key)
    )
    return {row_key: (quantity, spend, savings) for row_key, quantity, spend, savings in rows}


def _campaign_products(campaign: Campaign, stored_sums: dict[int, tuple] | None = None) -> list[ProductFigures]:
    if stored_sums is not None:
        sums = stored_sums
    else:
        sums = {
            product_id: (quantity, spend, savings)
            for product_id, quantity, spend, savings in db.session.execute(
                _counted_lines(OrderLine.product_id, func.sum(OrderLine.quantity), *_spend_and_savings())
                .where(CampaignOrder.campaign_id == campaign.id, _pooled.id.is_not(None))
                .group_by(OrderLine.product_id)
            )
        }
    campaign_products = db.session.scalars(
        select(CampaignProduct)
        .where(CampaignProduct.campaign_id == campaign.id)
        .options(selectinload(CampaignProduct.product).selectinload(Product.tiers))
    )
    rows = []
    for campaign_product in campaign_products:
        product = campaign_product.product
        quantity, spend, savings = sums.get(product.id, (0, 0, 0))
        if campaign_product.final_unit_price is not None:
            tier_from = campaign_product.final_tier_from
            unit_price = round_unit_price(campaign_product.final_unit_price)
        else:
            whole_units = pooled_quantity(as_quantity(quantity))
            tier_from = reached_tier_from(list(product.tiers), whole_units)
            unit_price = round_unit_price(unit_price_for_total(list(product.tiers), product.tier_mode, whole_units))
        rows.append(
            ProductFigures(
                product_id=product.id,
                reference=product.reference,
                name=product.name,
                unit_label=product.unit_label,
                quantity=as_quantity(quantity),
                tier_from=tier_from,
                list_unit_price=round_unit_price(campaign_product.list_unit_price),
                unit_price=unit_price,
                spend=as_amount(spend),
                savings=as_amount(savings),
            )
        )
    return sorted(rows, key=lambda row: (-row.spend, row.reference))


def _campaign_members(
    campaign: Campaign,
    bases: list[MemberBase],
    allocations: list[CostAllocation],
    stored_sums: dict[int, tuple] | None = None,
) -> list[MemberFigures]:
    if stored_sums is not None:
        sums = {member_id: (spend, savings) for member_id, (_quantity, spend, savings) in stored_sums.items()}
    else:
        sums = {
            member_id: (spend, savings)
            for member_id, spend, savings in db.session.execute(
                _counted_lines(Order.member_id, *_spend_and_savings())
                .where(CampaignOrder.campaign_id == campaign.id, _pooled.id.is_not(None))
                .group_by(Order.member_id)
            )
        }
    settlements = dict(
        db.session.execute(
            select(Settlement.member_id, func.sum(Settlement.difference_net))
            .where(Settlement.campaign_id == campaign.id)
            .group_by(Settlement.member_id)
        ).all()
    )
    shares: dict[int, Decimal] = {}
    for allocation in allocations:
        for share in allocation.shares:
            shares[share.member_id] = shares.get(share.member_id, ZERO) + share.amount
    rows = []
    for base in bases:
        spend, savings = sums.get(base.member_id, (0, 0))
        rows.append(
            MemberFigures(
                member_id=base.member_id,
                name=base.member_name,
                siren=base.siren,
                schools=base.schools,
                classes=base.classes,
                pupils=base.pupils,
                spend=as_amount(spend),
                savings=as_amount(savings),
                cost_shares=shares.get(base.member_id, ZERO),
                settlement_net=as_amount(settlements.get(base.member_id)),
            )
        )
    return rows


# --- Member report ------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolFigures:
    school_id: int
    uai: str
    name: str
    pupils: int
    classes: int
    spend: Decimal
    savings: Decimal

    @property
    def cost_per_pupil(self) -> Decimal | None:
        return divide(self.spend, self.pupils)

    @property
    def cost_per_class(self) -> Decimal | None:
        return divide(self.spend, self.classes)


@dataclass(frozen=True)
class GroupFigures:
    """Spend and savings of one category or month."""

    key: str
    label: str
    spend: Decimal
    savings: Decimal


@dataclass
class MemberReport:
    """One member's spend and savings, over one campaign or over all its orders."""

    member: Member
    campaign: Campaign | None
    schools: list[SchoolFigures]
    categories: list[GroupFigures]
    months: list[GroupFigures]
    cost_shares: list[tuple[str, Decimal]] = field(default_factory=list)
    settlements: list[Settlement] = field(default_factory=list)

    @property
    def spend(self) -> Decimal:
        return sum((row.spend for row in self.schools), ZERO)

    @property
    def savings(self) -> Decimal:
        return sum((row.savings for row in self.schools), ZERO)

    @property
    def list_amount(self) -> Decimal:
        return self.spend + self.savings

    @property
    def savings_rate(self) -> Decimal | None:
        """Savings as a percentage of what the member would have paid alone."""
        if not self.list_amount:
            return None
        return (self.savings * 100 / self.list_amount).quantize(Decimal("0.1"))

    @property
    def pupils(self) -> int:
        return sum(row.pupils for row in self.schools)

    @property
    def classes(self) -> int:
        return sum(row.classes for row in self.schools)

    @property
    def cost_per_pupil(self) -> Decimal | None:
        return divide(self.spend, self.pupils)

    @property
    def cost_per_class(self) -> Decimal | None:
        return divide(self.spend, self.classes)

    @property
    def shared_costs(self) -> Decimal:
        return sum((amount for _, amount in self.cost_shares), ZERO)

    @property
    def settlement_net(self) -> Decimal:
        return sum((row.difference_net for row in self.settlements), ZERO)


def member_report(member: Member, campaign: Campaign | None = None) -> MemberReport:
    """Aggregate one member's spend and savings per school, category and month.

    With ``campaign``, only that campaign's orders count, and the member's shares of its
    fixed costs and its settlements are added.
    """

    def scoped(query: Select) -> Select:
        query = query.where(Order.member_id == member.id)
        if campaign is not None:
            query = query.where(CampaignOrder.campaign_id == campaign.id)
        return query

    schools = [
        SchoolFigures(school_id, uai, name, pupils or 0, classes or 0, as_amount(spend), as_amount(savings))
        for school_id, uai, name, pupils, classes, spend, savings in db.session.execute(
            scoped(
                _counted_lines(School.id, School.uai, School.name, School.pupils, School.classes, *_spend_and_savings())
                .join(School, School.id == Order.school_id)
                .group_by(School.id, School.uai, School.name, School.pupils, School.classes)
                .order_by(School.name)
            )
        )
    ]
    categories = [
        GroupFigures(code, name, as_amount(spend), as_amount(savings))
        for code, name, spend, savings in db.session.execute(
            scoped(
                _counted_lines(Category.code, Category.name, *_spend_and_savings())
                .join(Product, Product.id == OrderLine.product_id)
                .join(Category, Category.id == Product.category_id)
                .group_by(Category.code, Category.name, Category.position)
                .order_by(Category.position, Category.name)
            )
        )
    ]
    month = month_of(Order.submitted_at).label("month")
    months = [
        GroupFigures(key, month_label(key), as_amount(spend), as_amount(savings))
        for key, spend, savings in db.session.execute(
            scoped(_counted_lines(month, *_spend_and_savings()).group_by(month).order_by(month))
        )
    ]

    report = MemberReport(member=member, campaign=campaign, schools=schools, categories=categories, months=months)
    if campaign is not None:
        for allocation in allocate_campaign_costs(campaign):
            for share in allocation.shares:
                if share.member_id == member.id:
                    report.cost_shares.append((allocation.label, share.amount))
        report.settlements = list(
            db.session.scalars(
                select(Settlement)
                .where(Settlement.campaign_id == campaign.id, Settlement.member_id == member.id)
                .order_by(Settlement.order_id, Settlement.vat_rate.desc())
            )
        )
    return report


MONTH_NAMES = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)


def month_label(key: str) -> str:
    """Return '2027-03' as 'mars 2027'."""
    year, month = key.split("-")
    return f"{MONTH_NAMES[int(month) - 1]} {year}"


def campaigns_of_member(member: Member) -> list[Campaign]:
    """Return the campaigns in which the member has counted orders, newest first."""
    return list(
        db.session.scalars(
            select(Campaign)
            .where(
                Campaign.id.in_(
                    select(CampaignOrder.campaign_id)
                    .join(Order, Order.id == CampaignOrder.order_id)
                    .where(Order.member_id == member.id, Order.status.in_(COUNTED_STATUSES))
                )
            )
            .order_by(Campaign.opens_on.desc())
        )
    )


# --- Centrale dashboard -------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignSummary:
    campaign_id: int
    name: str
    status_label: str
    members: int
    spend: Decimal
    savings: Decimal


@dataclass
class Dashboard:
    """The centrale's overview across every campaign and order."""

    months: list[GroupFigures]
    top_products: list[GroupFigures]
    campaigns: list[CampaignSummary]
    member_count: int
    school_count: int
    pupil_count: int
    order_count: int

    @property
    def spend(self) -> Decimal:
        return sum((row.spend for row in self.months), ZERO)

    @property
    def savings(self) -> Decimal:
        return sum((row.savings for row in self.months), ZERO)


def dashboard(since: date | None = None) -> Dashboard:
    """Aggregate spend and savings per month, the top products and the members served.

    With ``since``, only orders submitted from that day on (Europe/Paris) count.
    """

    since_at = datetime.combine(since, time(), tzinfo=PARIS) if since is not None else None

    def scoped(query: Select) -> Select:
        if since_at is not None:
            query = query.where(Order.submitted_at >= since_at)
        return query

    month = month_of(Order.submitted_at).label("month")
    months = [
        GroupFigures(key, month_label(key), as_amount(spend), as_amount(savings))
        for key, spend, savings in db.session.execute(
            scoped(_counted_lines(month, *_spend_and_savings()).group_by(month).order_by(month))
        )
    ]
    spend_column, savings_column = _spend_and_savings()
    top_products = [
        GroupFigures(reference, f"{reference} – {name}", as_amount(spend), as_amount(savings))
        for reference, name, spend, savings in db.session.execute(
            scoped(
                _counted_lines(Product.reference, Product.name, spend_column, savings_column)
                .join(Product, Product.id == OrderLine.product_id)
                .group_by(Product.reference, Product.name)
                .order_by(spend_column.desc(), Product.reference)
                .limit(TOP_PRODUCT_COUNT)
            )
        )
    ]
    campaigns = [
        CampaignSummary(
            campaign_id,
            name,
            str(CAMPAIGN_STATUS_LABELS[CampaignStatus(status)]),
            members or 0,
            as_amount(spend),
            as_amount(savings),
        )
        for campaign_id, name, status, members, spend, savings in db.session.execute(
            scoped(
                _counted_lines(
                    Campaign.id,
                    Campaign.name,
                    Campaign.status,
                    func.count(distinct(Order.member_id)),
                    *_spend_and_savings(),
                )
                .join(Campaign, Campaign.id == CampaignOrder.campaign_id)
                .group_by(Campaign.id, Campaign.name, Campaign.status, Campaign.opens_on)
                .order_by(Campaign.opens_on.desc())
            )
        )
    ]

    served = scoped(
        select(Order.member_id, Order.school_id).where(Order.status.in_(COUNTED_STATUSES)).distinct()
    ).subquery()
    member_count, school_count, pupil_count = db.session.execute(
        select(
            func.count(distinct(served.c.member_id)),
            func.count(distinct(served.c.school_id)),
            func.coalesce(func.sum(School.pupils), 0),
        )
        .select_from(served)
        .join(School, School.id == served.c.school_id)
    ).one()
    order_count = db.session.scalar(
        scoped(select(func.count(Order.id)).where(Order.status.in_(COUNTED_STATUSES)))
    )
    return Dashboard(
        months=months,
        top_products=top_products,
        campaigns=campaigns,
        member_count=member_count or 0,
        school_count=school_count or 0,
        pupil_count=int(pupil_count or 0),
        order_count=order_count or 0,
    )
