"""Order rules: the cart of a school, submission, the lifecycle and the order lists.

Services flush and never commit: the view or CLI command that calls them commits or rolls back.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select

from app import timeutils
from app.auth.models import User
from app.auth.roles import Role
from app.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.formatting import format_exact
from app.money import NumberRule, TaxableLine, Totals, compute_totals, line_net_amount, parse_number_for
from app.numbering import next_number
from app.stored_text import stored_text
from catalog.models import SALE_UNIT_LABELS, Product, ProductStatus, SaleUnit
from catalog.services import NotOrderable, current_unit_price
from members.models import ChorusRequirement, Member, School
from members.services import get_school_for_user

from . import approval, notifications, subscriptions
from .campaigns import apply_campaign_pricing, campaign_price_info
from .models import Order, OrderEvent, OrderLine
from .purchase_order import store_purchase_order
from .states import ORDER_STATUS_LABELS, OrderStatus, is_allowed

logger = logging.getLogger(__name__)

ORDER_NUMBER_SERIES = "BC"
# Cart quantities stay below 1 000 000, far inside the Numeric(12, 3) column.
CART_QUANTITY = NumberRule(places=3, max_value=Decimal("999999.999"))
SERVICE_CODE_MAX_LENGTH = 100
ENGAGEMENT_NUMBER_MAX_LENGTH = 50


# --- Cart ---------------------------------------------------------------------------------


def proposed_quantity(product: Product, school: School) -> Decimal | None:
    """Return the quantity a cart proposes for ``product``: the school's counts for per-class
    and per-pupil products, 1 for the others, None when the needed count is unknown."""
    unit = SaleUnit(product.unit)
    if unit == SaleUnit.CLASS:
        return Decimal(school.classes) if school.classes else None
    if unit == SaleUnit.PUPIL:
        return Decimal(school.pupils) if school.pupils else None
    return Decimal(1)


def parse_quantity(text: str | None) -> Decimal | None:
    """Parse a quantity typed by a user (decimal comma accepted); None when left empty.

    Raises ValidationFailed on the field ``quantity`` when the value is not a number, is not
    positive, has more than 3 decimals or is not below 1 000 000.
    """
    quantity = parse_number_for("quantity", text, CART_QUANTITY, str(_l("Quantity")))
    if quantity == 0:
        raise ValidationFailed(
            _l("Quantity must be greater than 0: to remove a product, use the Remove button."),
            field="quantity",
        )
    return quantity


def check_whole_units(name: str, unit: str, quantity: Decimal) -> None:
    """Raise ValidationFailed unless ``quantity`` fits the unit of sale: whole numbers of
    schools, classes, pupil accounts and items, whole or half training days."""
    sale_unit = SaleUnit(unit)
    if sale_unit == SaleUnit.TRAINING_DAY:
        if (quantity * 2) != (quantity * 2).to_integral_value():
            raise ValidationFailed(
                _l("%(product)s is sold per training day: enter whole or half days, for example 1 or 1,5 "
                   "(not %(quantity)s).", product=name, quantity=format_exact(quantity)),
                field="quantity",
            )
        return
    if quantity != quantity.to_integral_value():
        raise ValidationFailed(
            _l("%(product)s is sold %(unit)s: enter a whole number, not %(quantity)s.",
               product=name, unit=SALE_UNIT_LABELS[sale_unit], quantity=format_exact(quantity)),
            field="quantity",
        )


def orderable_products(day: date) -> list[tuple[Product, Decimal]]:
    """Return the active products that can be ordered on ``day``, with their unit price."""
    products = db.session.scalars(
        select(Product).where(Product.status == ProductStatus.ACTIVE.value).order_by(Product.name)
    )
    result = []
    for product in products:
        try:
            result.append((product, current_unit_price(product, day)))
        except NotOrderable:
            continue
    return result


def find_cart(user: User, school: School) -> Order | None:
    """Return the user's open draft for ``school``, or None."""
    return db.session.scalar(
        select(Order).where(
            Order.created_by_id == user.id,
            Order.school_id == school.id,
            Order.status == OrderStatus.DRAFT.value,
        )
    )


def get_cart_school(user: User, school_id: int) -> School:
    """Return a school the user may order for; NotFound for another member's school."""
    if not user.is_member_side:
        raise NotFound(_l("School %(id)s not found.", id=school_id))
    return get_school_for_user(user, school_id)


def open_cart(user: User, school: School) -> Order:
    """Return the user's draft for ``school``, creating it when there is none."""
    if not user.is_member_side or school.member_id != user.member_id:
        raise NotFound(_l("School %(id)s not found.", id=school.id))
    if not school.is_open:
        raise ValidationFailed(
            _l("%(school)s is closed: choose an open school to order for.", school=school.name),
            field="school_id",
        )
    order = find_cart(user, school)
    if order is not None:
        return order
    # NOTE: no unique index backs "one draft per user and school", so two first additions
    # sent at the same instant could open two carts.
    order = Order(
        member_id=school.member_id,
        school_id=school.id,
        created_by_id=user.id,
        status=OrderStatus.DRAFT.value,
        submission_token=new_submission_token(),
    )
    db.session.add(order)
    db.session.flush()
    logger.info("Cart %s opened by user %s for school %s", order.id, user.id, school.id)
    return order


def new_submission_token() -> str:
    return secrets.token_urlsafe(32)


def _copy_catalogue_values(line: OrderLine, product: Product, unit_price: Decimal) -> None:
    """Copy onto ``line`` what the order keeps of the product: it never changes afterwards."""
    line.reference = product.reference
    line.name = product.name
    line.unit = product.unit
    line.unit_price = unit_price
    line.vat_category = product.vat_category
    line.vat_rate = product.vat_rate
    line.vat_exemption_reason = product.vat_exemption_reason or ""
    line.contract_reference = product.contract.reference
    line.sales_mode = product.contract.sales_mode
    line.net_amount = line_net_amount(line.quantity, unit_price)


def add_to_cart(
    user: User, school: School, product: Product, quantity: Decimal | None, day: date
) -> OrderLine:
    """Add ``product`` to the user's cart for ``school``, opening the cart when needed.

    An empty quantity takes the proposed one (the school's classes or pupils). A product
    already in the cart gets the quantity added to its line. Raises NotOrderable with the
    catalogue's reason when the product cannot be ordered on ``day``.
    """
    unit_price = current_unit_price(product, day)
    if quantity is None:
        quantity = proposed_quantity(product, school)
        if quantity is None:
            raise ValidationFailed(
                _l(
                    "Enter a quantity for %(product)s: the number of %(unit)s of %(school)s is unknown.",
                    product=product.name,
                    unit=product.unit_short_label,
                    school=school.name,
                ),
                field="quantity",
            )
    check_whole_units(product.name, product.unit, quantity)
    order = open_cart(user, school)
    line = next((line for line in order.lines if line.product_id == product.id), None)
    if line is None:
        position = max((line.position for line in order.lines), default=0) + 1
        line = OrderLine(product=product, position=position, quantity=quantity)
        order.lines.append(line)
    else:
        line.quantity = line.quantity + quantity
        if line.quantity > CART_QUANTITY.max_value:
            raise ValidationFailed(
                _l("Quantity is too large: enter less than 1 000 000."), field="quantity"
            )
    _copy_catalogue_values(line, product, unit_price)
    db.session.flush()
    logger.info(
        "Product %s added to cart %s by user %s (quantity %s)", product.id, order.id, user.id, quantity
    )
    return line


def _draft_line(order: Order, line_id: int) -> OrderLine:
    if not order.is_draft:
        raise InvalidTransition(_l("This order is no longer a cart: its lines cannot change."))
    line = next((line for line in order.lines if line.id == line_id), None)
    if line is None:
        raise NotFound(_l("Line %(id)s not found in this cart.", id=line_id))
    return line


def change_line_quantity(order: Order, line_id: int, quantity: Decimal) -> OrderLine:
    """Set the quantity of one cart line and recompute its net amount."""
    line = _draft_line(order, line_id)
    check_whole_units(line.product.name, line.product.unit, quantity)
    line.quantity = quantity
    line.net_amount = line_net_amount(quantity, line.unit_price)
    db.session.flush()
    logger.info("Cart %s line %s quantity set to %s", order.id, line.id, quantity)
    return line


def remove_line(order: Order, line_id: int) -> None:
    """Remove one line from a cart."""
    line = _draft_line(order, line_id)
    order.lines.remove(line)
    db.session.flush()
    logger.info("Cart %s line %s removed", order.id, line_id)


@dataclass
class CartLine:
    """A cart line with the catalogue's price of today, or the reason it cannot be ordered."""

    line: OrderLine
    unit_price: Decimal | None
    net_amount: Decimal | None
    problem: str | None = None
    # True when the price is a campaign's provisional pooled price, set again at submission.
    provisional: bool = False
    # The pro rata rule in words when the line is a subscription prorated to the months left.
    pro_rata_note: str | None = None


@dataclass
class Cart:
    """The content of a cart page: the lines at today's prices and the running totals."""

    school: School
    order: Order | None
    lines: list[CartLine] = field(default_factory=list)
    totals: Totals | None = None

    @property
    def has_problems(self) -> bool:
        return any(line.problem for line in self.lines)


def build_cart(school: School, order: Order | None, day: date) -> Cart:
    """Price every line of the cart with the catalogue of ``day``, as submission would.

    A pooled product shows the tier its campaign has reached so far. Submission adds the
    cart's own quantity to the campaign's total, so its price may then be lower. A
    subscription ordered during its school year shows its pro rata price, computed by the
    same ``ProRata`` that submission applies.
    """
    cart = Cart(school=school, order=order)
    taxable = []
    pro_rata = subscriptions.pro_rata_for(order, day) if order else None
    for line in order.lines if order else []:
        product = line.product
        try:
            unit_price = current_unit_price(product, day)
        except NotOrderable as error:
            cart.lines.append(CartLine(line=line, unit_price=None, net_amount=None, problem=str(error)))
            continue
        campaign_price = campaign_price_info(product, day)
        if campaign_price is not None:
            unit_price = campaign_price.unit_price
        pro_rata_note = None
        if pro_rata is not None and product.is_subscription:
            unit_price = pro_rata.unit_price(unit_price)
            pro_rata_note = pro_rata.note
        net = line_net_amount(line.quantity, unit_price)
        cart.lines.append(
            CartLine(
                line=line,
                unit_price=unit_price,
                net_amount=net,
                provisional=campaign_price is not None,
                pro_rata_note=pro_rata_note,
            )
        )
        taxable.append(
            TaxableLine(
                net_amount=net,
                vat_category=product.vat_category,
                vat_rate=product.vat_rate,
                vat_exemption_reason=product.vat_exemption_reason or None,
            )
        )
    cart.totals = compute_totals(taxable)
    return cart


# --- Chorus Pro references ----------------------------------------------------------------


def _check_reference_lengths(service_code: str, engagement_number: str) -> None:
    if len(service_code) > SERVICE_CODE_MAX_LENGTH:
        raise ValidationFailed(
            _l("Service code is too long: Chorus Pro accepts at most 100 characters."),
            field="service_code",
        )
    if len(engagement_number) > ENGAGEMENT_NUMBER_MAX_LENGTH:
        raise ValidationFailed(
            _l("Engagement number is too long: Chorus Pro accepts at most 50 characters."),
            field="engagement_number",
        )


def check_chorus_references(member: Member, service_code: str, engagement_number: str) -> tuple[str, str]:
    """Return the cleaned service code and engagement number, checked against the member's
    Chorus Pro requirement.

    When the member has active service codes, a service code must be one of them. Raises
    ValidationFailed naming the missing or invalid reference.
    """
    service_code = (service_code or "").strip()
    engagement_number = (engagement_number or "").strip()
    requirement = ChorusRequirement(member.chorus_requirement)
    active_codes = [code.code for code in member.active_service_codes]

    _check_reference_lengths(service_code, engagement_number)
    if service_code and active_codes and service_code not in active_codes:
        raise ValidationFailed(
            _l(
                "Service code %(code)s is not one of %(member)s's active service codes: choose one from the list.",
                code=service_code,
                member=member.name,
            ),
            field="service_code",
        )

    if requirement == ChorusRequirement.SERVICE_CODE and not service_code:
        raise ValidationFailed(
            _l(
                "Service code is missing: Chorus Pro requires one on %(member)s's invoices. Choose it before submitting.",
                member=member.name,
            ),
            field="service_code",
        )
    if requirement == ChorusRequirement.ENGAGEMENT and not engagement_number:
        raise ValidationFailed(
            _l(
                "Engagement number is missing: Chorus Pro requires one on %(member)s's invoices. Enter it before submitting.",
                member=member.name,
            ),
            field="engagement_number",
        )
    if requirement == ChorusRequirement.BOTH and not (service_code and engagement_number):
        missing_field = "service_code" if not service_code else "engagement_number"
        raise ValidationFailed(
            _l(
                "Chorus Pro requires both a service code and an engagement number on %(member)s's invoices: enter the missing one.",
                member=member.name,
            ),
            field=missing_field,
        )
    if requirement == ChorusRequirement.EITHER and not (service_code or engagement_number):
        raise ValidationFailed(
            _l(
                "Service code or engagement number is missing: Chorus Pro requires at least one on %(member)s's invoices.",
                member=member.name,
            ),
            field="service_code",
        )
    return service_code, engagement_number


def save_references(order: Order, service_code: str, engagement_number: str, buyer_note: str = "") -> None:
    """Keep the Chorus Pro references and note typed into a cart, so that a submission that
    fails on another rule does not lose them. Raises ValidationFailed on a value too long to keep."""
    if not order.is_draft:
        raise InvalidTransition(_l("This order is no longer a cart: its references cannot change."))
    service_code = (service_code or "").strip()
    engagement_number = (engagement_number or "").strip()
    _check_reference_lengths(service_code, engagement_number)
    order.service_code = service_code
    order.engagement_number = engagement_number
    order.buyer_note = (buyer_note or "").strip()
    db.session.flush()


# --- Lifecycle ----------------------------------------------------------------------------


def _status_label(status: OrderStatus) -> str:
    return str(ORDER_STATUS_LABELS[status])


def _order_label(order: Order) -> str:
    return order.number or str(_l("cart %(id)s", id=order.id))


# A repeated decision (a double click, a second tab) names the state the order is already in.
_ALREADY_MESSAGES = {
    OrderStatus.SUBMITTED: _l("Order %(order)s is already submitted."),
    OrderStatus.APPROVED: _l("Order %(order)s is already approved."),
    OrderStatus.REJECTED: _l("Order %(order)s is already rejected."),
    OrderStatus.CANCELLED: _l("Order %(order)s is already cancelled."),
}


def _already_in_status(order: Order, status: OrderStatus) -> str:
    message = _ALREADY_MESSAGES.get(status)
    if message is None:
        return _l("Order %(order)s already has the status %(status)s.", order=_order_label(order),
                  status=_status_label(status))
    return message % {"order": _order_label(order)}


def _placed_by(order: Order, user: User) -> bool:
    return user.id in (order.created_by_id, order.submitted_by_id)


def transition_problem(order: Order, target: OrderStatus, actor: User) -> str | None:
    """Return why ``actor`` may not move ``order`` to ``target`` (None when they may).

    The move itself must also be in ALLOWED_TRANSITIONS; this checks only who makes it:
    - the user who placed the order submits it, corrects it after a rejection, and cancels
      it while it is a draft, submitted or rejected;
    - an approver of the order's member approves or rejects it, unless they placed it;
    - an administrator of the centrale cancels a submitted, rejected or approved order.
    """
    source = OrderStatus(order.status)
    same_member = actor.is_member_side and actor.member_id == order.member_id
    placer = same_member and order.created_by_id == actor.id

    if target in (OrderStatus.APPROVED, OrderStatus.REJECTED):
        if not (same_member and actor.has_role(Role.APPROVER)):
            return str(_l("Only an approver of the ordering collectivité can approve or reject an order."))
        if _placed_by(order, actor):
            return str(
                _l("You placed this order, so you cannot approve or reject it: another approver must decide.")
            )
        if target == OrderStatus.APPROVED:
            return approval.approval_problem(order, actor)
        return None
    if target in (OrderStatus.SUBMITTED, OrderStatus.DRAFT):
        if not placer:
            return str(_l("Only the user who placed this order can submit or correct it."))
        return None
    if target == OrderStatus.CANCELLED:
        if placer and source != OrderStatus.APPROVED:
            return None
        if actor.has_role(Role.ADMIN) and source != OrderStatus.DRAFT:
            return None
        if source == OrderStatus.APPROVED:
            return str(_l("Only an administrator of the centrale can cancel an approved order."))
        return str(_l("Only the user who placed this order can cancel it."))
    return str(_l("This move is not allowed."))


def reason_required(order: Order, target: OrderStatus, actor: User) -> bool:
    """Return True when the move needs a reason: every rejection, and a cancellation by the centrale."""
    if target == OrderStatus.REJECTED:
        return True
    return target == OrderStatus.CANCELLED and not (
        actor.is_member_side and order.created_by_id == actor.id
    )


def available_transitions(order: Order, actor: User) -> list[OrderStatus]:
    """Return the statuses ``actor`` may move ``order`` to, for the buttons of the order page."""
    source = OrderStatus(order.status)
    return [
        target
        for target in OrderStatus
        if is_allowed(source, target) and transition_problem(order, target, actor) is None
    ]


def transition(order: Order, target: OrderStatus | str, actor: User, reason: str = "") -> OrderEvent:
    """Move ``order`` to ``target``: the only way an order's status changes.

    Checks the move against ALLOWED_TRANSITIONS (InvalidTransition), who makes it
    (PermissionDenied) and the reason a rejection or a centrale cancellation needs
    (ValidationFailed). Every check runs before anything changes. Then it does the move's
    work: submission freezes the lines and takes the order's number, approval stores the
    purchase order PDF, a correction after rejection reopens the cart. It records an
    OrderEvent (who, when, from, to, why), logs and flushes.
    """
    source = OrderStatus(order.status)
    target = OrderStatus(target)
    reason = (reason or "").strip()
    if source == target:
        raise InvalidTransition(_already_in_status(order, source))
    if not is_allowed(source, target):
        raise InvalidTransition(
            _l(
                "Order %(order)s has the status %(source)s: it cannot move to the status %(target)s.",
                order=_order_label(order),
                source=_status_label(source),
                target=_status_label(target),
            )
        )
    problem = transition_problem(order, target, actor)
    if problem is not None:
        raise PermissionDenied(problem)
    if reason_required(order, target, actor) and not reason:
        raise ValidationFailed(
            _l("Reason is missing: say why, so that the buyer knows what to do."), field="reason"
        )

    now = timeutils.utcnow()
    if target == OrderStatus.APPROVED and not approval.record_approval(order, actor, now):
        # Above the member's threshold the first approval keeps the order submitted.
        event = OrderEvent(from_status=source.value, to_status=source.value, actor=actor,
                           reason=stored_text(_l("First approval: a second approver must approve too.")), created_at=now)
        order.events.append(event)
        db.session.flush()
        notifications.notify_second_approval_needed(order, actor)
        return event
    if target == OrderStatus.SUBMITTED:
        _freeze_and_number(order, actor, now)
    elif target in (OrderStatus.APPROVED, OrderStatus.REJECTED):
        order.decided_at = now
        order.decided_by_id = actor.id
        order.decided_by = actor
        order.rejection_reason = reason if target == OrderStatus.REJECTED else ""
    elif target == OrderStatus.DRAFT:
        order.decided_at = None
        order.decided_by_id = None
        order.rejection_reason = ""
        order.submission_token = new_submission_token()

    order.status = target.value
    event = OrderEvent(from_status=source.value, to_status=target.value, actor=actor, reason=reason, created_at=now)
    order.events.append(event)
    db.session.flush()
    if target == OrderStatus.APPROVED:
        store_purchase_order(order)
        db.session.flush()
    # Approvals, subscriptions and e-mails change in the move's transaction.
    if target == OrderStatus.SUBMITTED:
        approval.reset_approvals(order)
        notifications.notify_order_submitted(order)
    elif target == OrderStatus.APPROVED:
        subscriptions.create_subscriptions(order)
        notifications.notify_order_decided(order)
    elif target == OrderStatus.REJECTED:
        notifications.notify_order_decided(order)
    logger.info(
        "Order %s (%s) moved from %s to %s by user %s", order.id, order.number, source.value, target.value, actor.id
    )
    return event


def _freeze_and_number(order: Order, actor: User, now: datetime) -> None:
    """Check that the cart can be submitted, copy today's catalogue values onto its lines,
    compute its totals and give it the next number of the year (kept after a rejection)."""
    member = order.member
    if not member.is_active_member:
        raise ValidationFailed(
            _l(
                "%(member)s cannot submit orders (%(status)s): contact the centrale.",
                member=member.name,
                status=member.membership_status_label,
            )
        )
    if not order.lines:
        raise ValidationFailed(_l("The cart is empty: add at least one product before submitting."))
    service_code, engagement_number = check_chorus_references(
        member, order.service_code, order.engagement_number
    )
    for line in order.lines:
        # A fractional quantity stored before the unit rule existed must not reach an order.
        check_whole_units(line.product.name, line.product.unit, line.quantity)
    day = now.astimezone(timeutils.PARIS).date()
    prices = [(line, current_unit_price(line.product, day)) for line in order.lines]

    for line, unit_price in prices:
        _copy_catalogue_values(line, line.product, unit_price)
    # Pooled products of an open campaign take the tier that the campaign's total reaches.
    apply_campaign_pricing(order, day)
    # Subscriptions ordered during their school year pay its whole months left.
    subscriptions.apply_pro_rata(order, day)
    totals = order.totals()
    order.net_amount = totals.net_amount
    order.vat_amount = totals.vat_amount
    order.gross_amount = totals.gross_amount
    order.service_code = service_code
    order.engagement_number = engagement_number
    order.submitted_at = now
    order.submitted_by_id = actor.id
    if order.number is None:
        order.number = next_number(ORDER_NUMBER_SERIES, day.year)


@dataclass(frozen=True)
class Submission:
    """The outcome of a submit form: the order, and whether it had already been submitted."""

    order: Order
    replayed: bool


def submit_order(order: Order, actor: User, token: str) -> Submission:
    """Submit a cart once, whatever the number of times its form is sent.

    The order row is locked first (SELECT ... FOR UPDATE on PostgreSQL), so a double click
    waits for the first submission and then finds the order submitted under the same token:
    it returns ``replayed=True`` with no change. A token that matches neither case belongs to
    an out-of-date form and raises ValidationFailed.
    """
    locked = db.session.execute(
        select(Order).where(Order.id == order.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()
    if token and locked.submission_token == token and not locked.is_draft:
        logger.info("Order %s submission replayed by user %s: already %s", locked.id, actor.id, locked.status)
        return Submission(order=locked, replayed=True)
    if not token or locked.submission_token != token:
        raise ValidationFailed(
            _l("This form is out of date: check the cart below and submit it again."),
            field="submission_token",
        )
    transition(locked, OrderStatus.SUBMITTED, actor)
    return Submission(order=locked, replayed=False)


def find_submission_target(user: User, school: School, token: str) -> Order | None:
    """Return the order a submit form refers to: the user's order for ``school`` that carries
    ``token`` (already submitted when the form is sent twice), else the user's cart."""
    if token:
        order = db.session.scalar(
            select(Order).where(
                Order.submission_token == token,
                Order.created_by_id == user.id,
                Order.school_id == school.id,
            )
        )
        if order is not None:
            return order
    return find_cart(user, school)


# --- Access and lists ---------------------------------------------------------------------


def get_order_for_user(user: User, order_id: int) -> Order:
    """Return the order, or raise NotFound when the user may not see it.

    A member-side user sees its own member's orders, and drafts only when they are their own
    cart; centrale users see every order except drafts.
    """
    order = db.session.get(Order, order_id)
    if order is None or not can_see_order(user, order):
        raise NotFound(_l("Order %(id)s not found.", id=order_id))
    return order


def can_see_order(user: User, order: Order) -> bool:
    if order.is_draft:
        return user.is_member_side and order.created_by_id == user.id
    if user.is_member_side:
        return order.member_id == user.member_id
    return True


TO_APPROVE = "to_approve"


@dataclass
class OrderFilters:
    """The filters of the order list; ``status`` may also be TO_APPROVE."""

    school_id: int | None = None
    member_id: int | None = None
    status: str | None = None
    submitted_from: date | None = None
    submitted_to: date | None = None


def _paris_midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timeutils.PARIS).astimezone(timezone.utc)


def orders_query(user: User, filters: OrderFilters) -> Select:
    """Build the query of the orders ``user`` may list, newest first, with ``filters`` applied.

    Member-side users get their member's orders plus their own carts; centrale users get every
    member's orders. Carts cancelled before submission have no number and are never listed. The period applies to the submission date in Paris time.
    """
    query = select(Order)
    if user.is_member_side:
        own_cart = and_(Order.status == OrderStatus.DRAFT.value, Order.created_by_id == user.id)
        query = query.where(Order.member_id == user.member_id, or_(Order.number.is_not(None), own_cart))
    else:
        query = query.where(Order.number.is_not(None))
        if filters.member_id:
            query = query.where(Order.member_id == filters.member_id)
    if filters.school_id:
        query = query.where(Order.school_id == filters.school_id)
    if filters.status == TO_APPROVE:
        query = query.where(
            Order.status == OrderStatus.SUBMITTED.value,
            Order.created_by_id != user.id,
            or_(Order.submitted_by_id.is_(None), Order.submitted_by_id != user.id),
        )
    elif filters.status:
        query = query.where(Order.status == OrderStatus(filters.status).value)
    if filters.submitted_from:
        query = query.where(Order.submitted_at >= _paris_midnight_utc(filters.submitted_from))
    if filters.submitted_to:
        query = query.where(Order.submitted_at < _paris_midnight_utc(filters.submitted_to + timedelta(days=1)))
    return query.order_by(Order.submitted_at.desc().nulls_first(), Order.id.desc())


def count_to_approve(user: User) -> int:
    """Return how many submitted orders wait for this approver's decision."""
    if not user.has_role(Role.APPROVER):
        return 0
    query = orders_query(user, OrderFilters(status=TO_APPROVE)).order_by(None)
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def carts_of(user: User) -> list[Order]:
    """Return the user's open carts, most recently changed first."""
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.created_by_id == user.id, Order.status == OrderStatus.DRAFT.value)
            .order_by(Order.updated_at.desc())
        )
    )
