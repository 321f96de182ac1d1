"""Approval rules per member: a second approver above an amount, and reminders of waiting orders.

A member's approver sets the rule. An order whose gross amount (TTC) is strictly above the
member's threshold needs the approvals of two different approvers. Neither may be the user who
placed it. A threshold can be set only while the member has two active approvers. When no
other approver may give the second approval (an account was deactivated, or the other approver
placed the order), the first approval is final. The order's history then records why. Each
approval is kept in ``order_approvals`` until the order is submitted again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.auth.roles import Role
from app.errors import PermissionDenied, ValidationFailed
from app.extensions import db
from app.money import NumberRule, parse_number_for
from app.timeutils import PARIS, UTCDateTime, utcnow

from .models import Order, OrderEvent
from .states import OrderStatus

if TYPE_CHECKING:
    from members.models import Member

logger = logging.getLogger(__name__)

DEFAULT_REMINDER_DAYS = 3
MAX_REMINDER_DAYS = 60
THRESHOLD = NumberRule(places=2, max_value=Decimal("99999999.99"), display="amount")


class ApprovalRule(db.Model):
    """A member's approval settings; a member without a row uses the defaults."""

    __tablename__ = "approval_rules"
    __table_args__ = (
        CheckConstraint(
            "second_approval_above IS NULL OR second_approval_above >= 0", name="threshold_not_negative"
        ),
        CheckConstraint("reminder_days >= 1", name="reminder_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), unique=True)
    # Gross amount (TTC) above which a second approver must also approve; None: one approval.
    second_approval_above: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # Days an order waits for approval before its approvers are reminded, then again every as many days.
    reminder_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_REMINDER_DAYS)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    updated_by: Mapped[User | None] = relationship("User")


class OrderApproval(db.Model):
    """One approver's approval of a submitted order."""

    __tablename__ = "order_approvals"
    __table_args__ = (UniqueConstraint("order_id", "approver_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    approver: Mapped[User] = relationship("User")


# --- Rules --------------------------------------------------------------------------------


def rule_for(member_id: int) -> ApprovalRule:
    """Return the member's rule, or an unsaved rule with the defaults."""
    rule = db.session.scalar(select(ApprovalRule).where(ApprovalRule.member_id == member_id))
    if rule is None:
        rule = ApprovalRule(member_id=member_id, second_approval_above=None, reminder_days=DEFAULT_REMINDER_DAYS)
    return rule


def parse_threshold(text: str | None) -> Decimal | None:
    """Parse the threshold typed by an approver (decimal comma accepted); empty means none."""
    return parse_number_for("second_approval_above", text, THRESHOLD, str(_l("Amount")))


def save_rule(
    member: Member, actor: User, *, second_approval_above: Decimal | None, reminder_days: int | None
) -> ApprovalRule:
    """Set the member's approval rule; only one of its approvers may do so."""
    if not (actor.has_role(Role.APPROVER) and actor.member_id == member.id):
        raise PermissionDenied(_l("Only an approver of this collectivité can change its approval rules."))
    if reminder_days is None or not 1 <= reminder_days <= MAX_REMINDER_DAYS:
        raise ValidationFailed(
            _l("Reminder delay must be a whole number of days between 1 and 60."), field="reminder_days"
        )
    if second_approval_above is not None:
        _check_two_approvers(member)

    rule = rule_for(member.id)
    rule.second_approval_above = second_approval_above
    rule.reminder_days = reminder_days
    rule.updated_by_id = actor.id
    db.session.add(rule)
    db.session.flush()
    logger.info(
        "Approval rule of member %s set by user %s: second approval above %s, reminder after %s days",
        member.id,
        actor.id,
        second_approval_above,
        reminder_days,
    )
    return rule


def _check_two_approvers(member: Member) -> None:
    """Raise ValidationFailed when the member has fewer than two active approvers."""
    approver_count = len(active_member_users(member.id, Role.APPROVER))
    if approver_count < 2:
        raise ValidationFailed(
            _l(
                "A second approval needs two active approvers, and %(member)s has %(count)s. "
                "Ask the centrale to create a second approver account for your collectivité, "
                "then set the amount again, or leave it empty.",
                member=member.name,
                count=approver_count,
            ),
            field="second_approval_above",
        )


# --- Approvals ----------------------------------------------------------------------------


def needs_second_approval(order: Order) -> bool:
    threshold = rule_for(order.member_id).second_approval_above
    return threshold is not None and order.gross_amount > threshold


def approvals_of(order: Order) -> list[OrderApproval]:
    return list(
        db.session.scalars(
            select(OrderApproval).where(OrderApproval.order_id == order.id).order_by(OrderApproval.id)
        )
    )


def required_approvals(order: Order) -> int:
    return 2 if needs_second_approval(order) else 1


def approval_problem(order: Order, actor: User) -> str | None:
    """Return why ``actor`` may not approve ``order`` under the approval rule (None when they may).

    An approver who already approved may approve again only when no other active approver
    may give the second approval, so that the order is not stuck.
    """
    already_approved = any(approval.approver_id == actor.id for approval in approvals_of(order))
    if already_approved and eligible_approvers(order):
        return str(
            _l("You have already approved this order: a second approver of your collectivité must approve it too.")
        )
    return None


def record_approval(order: Order, actor: User, now: datetime) -> bool:
    """Record ``actor``'s approval; return True when the order now has every approval it needs.

    When a second approval is needed but no other active approver may give it (the member has
    a single approver, or the other placed the order), this approval is final, and an order
    event states why. Raises PermissionDenied when ``actor`` may not approve.
    """
    problem = approval_problem(order, actor)
    if problem is not None:
        raise PermissionDenied(problem)
    if not any(approval.approver_id == actor.id for approval in approvals_of(order)):
        db.session.add(OrderApproval(order_id=order.id, approver_id=actor.id, approved_at=now))
        db.session.flush()
    required = required_approvals(order)
    count = len(approvals_of(order))
    logger.info("Order %s approved by user %s (%s of %s approvals)", order.id, actor.id, count, required)
    if count >= required:
        return True
    if eligible_approvers(order):
        return False
    _record_single_approver_waiver(order, actor, now)
    return True


def _record_single_approver_waiver(order: Order, actor: User, now: datetime) -> None:
    """Add the order event that explains why one approval was final above the threshold."""
    # Order history is stored text, shown to every user: always French.
    with force_locale("fr"):
        reason = gettext(
            "Approval final with a single approver: the amount is above the second-approval threshold, "
            "but no other active approver of the collectivité may approve this order."
        )
    order.events.append(
        OrderEvent(from_status=order.status, to_status=order.status, actor=actor, reason=reason, created_at=now)
    )
    db.session.flush()
    logger.warning(
        "Order %s: no second approver available, approval of user %s is final", order.id, actor.id
    )


@dataclass(frozen=True)
class ApprovalProgress:
    """The approvals an order has received and the number it needs, for its page."""

    approvals: list[OrderApproval]
    required: int

    @property
    def given(self) -> int:
        return len(self.approvals)


def approval_progress(order: Order) -> ApprovalProgress:
    return ApprovalProgress(approvals=approvals_of(order), required=required_approvals(order))


def reset_approvals(order: Order) -> None:
    """Forget the approvals of an earlier submission, so a corrected order is approved afresh."""
    db.session.execute(delete(OrderApproval).where(OrderApproval.order_id == order.id))


def active_member_users(member_id: int, role: Role) -> list[User]:
    """Return the member's users of ``role`` whose account is active, oldest account first."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.member_id == member_id, User.role == role.value, User.is_active_account.is_(True))
            .order_by(User.id)
        )
    )


def eligible_approvers(order: Order) -> list[User]:
    """Return the member's active approvers who may still approve ``order``."""
    approved = {approval.approver_id for approval in approvals_of(order)}
    placers = {order.created_by_id, order.submitted_by_id}
    return [
        user
        for user in active_member_users(order.member_id, Role.APPROVER)
        if user.id not in approved and user.id not in placers
    ]


# --- Reminders ----------------------------------------------------------------------------


def remind_pending_approvals(fire_time: datetime) -> str:
    """Remind the approvers of every order waiting at least its member's reminder delay.

    An order is reminded once per whole delay elapsed (after 3, 6, 9... days with the default),
    however many times the job runs, because each reminder carries its step in its dedup key.
    """
    from .notifications import notify_approval_reminder

    today = fire_time.astimezone(PARIS).date()
    orders = list(
        db.session.scalars(
            select(Order).where(Order.status == OrderStatus.SUBMITTED.value).order_by(Order.submitted_at, Order.id)
        )
    )
    reminded = 0
    for order in orders:
        if order.submitted_at is None:
            continue
        delay = rule_for(order.member_id).reminder_days
        days_waiting = (today - order.submitted_at.astimezone(PARIS).date()).days
        if days_waiting < delay:
            continue
        if notify_approval_reminder(order, days_waiting=days_waiting, step=days_waiting // delay):
            reminded += 1
    db.session.flush()
    return f"{reminded} orders reminded"
