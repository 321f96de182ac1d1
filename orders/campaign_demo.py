"""Demo campaigns: a closed ENT campaign for 2025-2026 with settlements, and an open one for 2027-2028.

The orders are built directly, with past submission dates, and priced by the same
apply_campaign_pricing as a real submission. Loading twice changes nothing: a campaign whose
name exists is left as it is. The 2025-2026 campaign is closed on 2 February 2026, after
`flask demo load` has issued the invoices of its approved orders (demo/finance.py), so that
its settlements become credit notes that cite them.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.auth.models import User
from app.auth.roles import Role
from app.auth.services import create_user
from app.extensions import db
from app.money import line_net_amount
from app.numbering import next_number
from app.timeutils import PARIS
from catalog.models import Product
from members.models import Member, School

from .campaign_models import Campaign
from .campaigns import add_campaign_cost, apply_campaign_pricing, close_campaign, create_campaign
from .models import Order, OrderEvent, OrderLine
from .states import OrderStatus

logger = logging.getLogger(__name__)

# Members named in the demo script, first in every campaign.
FEATURED_SIRENS = ("215005026", "211400015", "211404090")  # Saint-Lô, Ablon, Merville-Franceville-Plage
POOLED_REFERENCES = ("ENT-ECOLE", "ENT-CLASSE", "ENT-ELEVE")
EXTRA_REFERENCE = "SRV-ASSISTANCE-ENT"
CLOSED_MEMBER_COUNT = 40
OPEN_MEMBER_COUNT = 12
SCHOOLS_PER_MEMBER = 6


@dataclass(frozen=True)
class DemoCampaign:
    name: str
    school_year: int
    opens_on: date
    closes_on: date
    member_count: int
    # Orders are spread evenly over these days.
    first_day: date
    last_day: date
    costs: tuple[tuple[str, str, str], ...]
    closed_on: date | None = None


CAMPAIGNS = (
    DemoCampaign(
        "ENT 2025-2026", 2025, date(2025, 3, 1), date(2025, 6, 30), CLOSED_MEMBER_COUNT,
        date(2025, 3, 3), date(2025, 6, 27),
        (("Hébergement de la plateforme ENT 2025-2026", "10000.00", "pupils"),
         ("Formation des administrateurs ENT", "3000.00", "schools")),
        closed_on=date(2026, 2, 2),
    ),
    DemoCampaign(
        "ENT 2027-2028", 2027, date(2026, 12, 1), date(2027, 6, 30), OPEN_MEMBER_COUNT,
        date(2026, 12, 1), date(2026, 12, 3),
        (("Hébergement de la plateforme ENT 2027-2028", "10500.00", "pupils"),),
    ),
)


def load_demo_campaigns(*, close: bool = True) -> None:
    """Create the demo campaigns that do not exist yet, with their orders and settlements.

    With ``close`` False, a campaign that the demo shows closed is left open, so the caller
    can invoice its orders first and then call ``close_demo_campaigns``.
    """
    products = {
        product.reference: product
        for product in db.session.scalars(select(Product).where(Product.reference.in_(POOLED_REFERENCES + (EXTRA_REFERENCE,))))
    }
    missing = [reference for reference in POOLED_REFERENCES if reference not in products]
    if missing:
        logger.warning("Demo campaigns not loaded: products %s are missing from the catalogue", ", ".join(missing))
        return
    members = _demo_members(max(spec.member_count for spec in CAMPAIGNS))
    if not members:
        logger.warning("Demo campaigns not loaded: no member has a school")
        return
    for spec in CAMPAIGNS:
        if db.session.scalar(select(Campaign.id).where(Campaign.name == spec.name)) is not None:
            logger.info("Demo campaign %s already loaded", spec.name)
            continue
        _load_campaign(spec, products, members[: spec.member_count])
    if close:
        close_demo_campaigns()
    db.session.flush()


def close_demo_campaigns() -> None:
    """Close, on their demo closing day, the demo campaigns that are shown closed; safe to rerun."""
    for spec in CAMPAIGNS:
        if spec.closed_on is None:
            continue
        campaign = db.session.scalar(select(Campaign).where(Campaign.name == spec.name))
        if campaign is not None and campaign.is_open:
            close_campaign(campaign, now=datetime.combine(spec.closed_on, time(9), tzinfo=PARIS))


def _demo_members(count: int) -> list[Member]:
    """Return the featured members, then the members with the most schools, up to ``count``."""
    featured = list(db.session.scalars(select(Member).where(Member.siren.in_(FEATURED_SIRENS)).order_by(Member.siren)))
    school_count = func.count(School.id)
    others = db.session.scalars(
        select(Member)
        .join(School, School.member_id == Member.id)
        .where(Member.siren.not_in(FEATURED_SIRENS), School.is_open.is_(True))
        .group_by(Member.id)
        .order_by(school_count.desc(), Member.siren)
        .limit(max(count - len(featured), 0))
    )
    return featured + list(others)


def _load_campaign(spec: DemoCampaign, products: dict[str, Product], members: list[Member]) -> None:
    campaign = create_campaign(
        name=spec.name,
        school_year=spec.school_year,
        opens_on=spec.opens_on,
        closes_on=spec.closes_on,
        products=[products[reference] for reference in POOLED_REFERENCES],
    )
    for label, amount, key in spec.costs:
        add_campaign_cost(campaign, label=label, amount=Decimal(amount), allocation_key=key)

    schools = [
        school
        for member in members
        for school in sorted(member.schools, key=lambda school: school.uai)[:SCHOOLS_PER_MEMBER]
        if school.is_open
    ]
    span = (spec.last_day - spec.first_day).days
    for index, school in enumerate(schools):
        day = spec.first_day + timedelta(days=span * index // max(len(schools) - 1, 1))
        _submit_demo_order(school, products, day, index)
    logger.info("Demo campaign %s loaded with %s orders", spec.name, len(schools))


def _member_user(member: Member, role: Role, prefix: str, title: str) -> User:
    """Return the member's first user of ``role``, creating one that cannot log in when it has none."""
    user = db.session.scalar(
        select(User).where(User.member_id == member.id, User.role == role.value).order_by(User.id)
    )
    if user is not None:
        return user
    return create_user(
        email=f"{prefix}.{member.siren}@demo.centrale.test",
        password=secrets.token_urlsafe(24),
        role=role,
        member=member,
        full_name=f"{title} {member.name}",
    )


def _buyer_of(member: Member) -> User:
    return _member_user(member, Role.BUYER, "acheteur", "Acheteur")


def _approver_of(member: Member) -> User | None:
    """Return the member's approver; a featured member gets one, so that its orders are approved."""
    if member.siren in FEATURED_SIRENS:
        return _member_user(member, Role.APPROVER, "valideur", "Valideur")
    return db.session.scalar(
        select(User).where(User.member_id == member.id, User.role == Role.APPROVER.value).order_by(User.id)
    )


def _submit_demo_order(school: School, products: dict[str, Product], day: date, index: int) -> Order:
    """Build a submitted order for ``school`` on ``day``; two out of three are approved when
    the member has an approver."""
    buyer = _buyer_of(school.member)
    submitted_at = datetime.combine(day, time(10), tzinfo=PARIS) + timedelta(minutes=index)
    order = Order(
        member_id=school.member_id,
        school_id=school.id,
        created_by_id=buyer.id,
        status=OrderStatus.DRAFT.value,
        buyer_note="Commande de démonstration",
    )
    db.session.add(order)

    quantities = [(products["ENT-ECOLE"], Decimal(1))]
    if school.pupils:
        quantities.append((products["ENT-ELEVE"], Decimal(school.pupils)))
    if school.classes:
        quantities.append((products["ENT-CLASSE"], Decimal(school.classes)))
    if EXTRA_REFERENCE in products and index % 3 == 0:
        quantities.append((products[EXTRA_REFERENCE], Decimal(1)))
    for position, (product, quantity) in enumerate(quantities, start=1):
        unit_price = product.price_on(day).unit_price
        order.lines.append(
            OrderLine(
                product=product,
                position=position,
                quantity=quantity,
                reference=product.reference,
                name=product.name,
                unit=product.unit,
                unit_price=unit_price,
                vat_category=product.vat_category,
                vat_rate=product.vat_rate,
                vat_exemption_reason=product.vat_exemption_reason,
                contract_reference=product.contract.reference,
                sales_mode=product.contract.sales_mode,
                net_amount=line_net_amount(quantity, unit_price),
            )
        )
    db.session.flush()

    apply_campaign_pricing(order, day)
    totals = order.totals()
    order.net_amount, order.vat_amount, order.gross_amount = totals.net_amount, totals.vat_amount, totals.gross_amount
    order.number = next_number("BC", day.year)
    order.status = OrderStatus.SUBMITTED.value
    order.submitted_at = submitted_at
    order.submitted_by_id = buyer.id
    order.events.append(
        OrderEvent(from_status=OrderStatus.DRAFT.value, to_status=OrderStatus.SUBMITTED.value, actor_id=buyer.id,
                   created_at=submitted_at)
    )

    approver = _approver_of(school.member)
    if approver is not None and index % 3 != 2:
        decided_at = submitted_at + timedelta(days=1)
        order.status = OrderStatus.APPROVED.value
        order.decided_at = decided_at
        order.decided_by_id = approver.id
        order.events.append(
            OrderEvent(from_status=OrderStatus.SUBMITTED.value, to_status=OrderStatus.APPROVED.value,
                       actor_id=approver.id, created_at=decided_at)
        )
    db.session.flush()
    return order
