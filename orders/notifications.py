"""E-mails of the orders domain: approvals, decisions, reminders, renewals and campaigns.

Each function queues its e-mails in the caller's transaction (app.mail.queue_email), so an
e-mail exists exactly when its event was committed. Subjects are French whatever the locale.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from app.auth.models import User
from app.auth.roles import Role
from app.extensions import db
from app.formatting import format_day
from app.mail import MAIL_LOCALE, OutboxEmail, absolute_url, queue_email
from app.timeutils import PARIS
from members.models import Member, MembershipStatus

from .approval import eligible_approvers
from .campaign_models import Campaign, CampaignStatus
from .models import Order

if TYPE_CHECKING:
    from .subscriptions import Subscription

logger = logging.getLogger(__name__)

# Buyers hear about a campaign's closing this many days before its closing date.
CAMPAIGN_CLOSING_NOTICE_DAYS = 7


def _subject(message) -> str:
    """Render a lazy subject in French, the language of every e-mail."""
    with force_locale(MAIL_LOCALE):
        return str(message)


def _order_context(order: Order) -> dict:
    return {
        "order": order,
        "school": order.school,
        "member": order.member,
        "buyer": order.created_by,
        "link": absolute_url("orders.order_detail", order_id=order.id),
    }


def notify_order_submitted(order: Order) -> list[OutboxEmail]:
    """Tell the member's approvers, except the buyer who placed it, that an order waits for them."""
    from .approval import needs_second_approval

    recipients = eligible_approvers(order)
    if not recipients:
        logger.warning("Order %s submitted but member %s has no approver to tell", order.id, order.member_id)
    return queue_email(
        recipients,
        template="order_submitted",
        subject=_subject(
            _l("Order %(number)s to approve: %(school)s", number=order.number, school=order.school.name)
        ),
        context={**_order_context(order), "second_approval": needs_second_approval(order)},
    )


def notify_second_approval_needed(order: Order, first_approver: User) -> list[OutboxEmail]:
    """Tell the other approvers that an order above the member's threshold needs a second approval."""
    return queue_email(
        eligible_approvers(order),
        template="order_second_approval",
        subject=_subject(_l("Order %(number)s needs a second approval", number=order.number)),
        context={**_order_context(order), "first_approver": first_approver},
    )


def notify_order_decided(order: Order) -> list[OutboxEmail]:
    """Tell the buyer that their order was approved, or rejected with the approver's reason."""
    approved = order.status == "approved"
    if approved:
        subject = _subject(_l("Order %(number)s approved", number=order.number))
    else:
        subject = _subject(_l("Order %(number)s rejected", number=order.number))
    return queue_email(
        [order.created_by],
        template="order_approved" if approved else "order_rejected",
        subject=subject,
        context={**_order_context(order), "approver": order.decided_by, "reason": order.rejection_reason},
    )


def notify_approval_reminder(order: Order, *, days_waiting: int, step: int) -> list[OutboxEmail]:
    """Remind the approvers who may still approve ``order``; once per order and reminder step."""
    with force_locale(MAIL_LOCALE):
        subject = ngettext(
            "Reminder: order %(number)s has waited %(num)d day for approval",
            "Reminder: order %(number)s has waited %(num)d days for approval",
            days_waiting,
            number=order.number,
        )
    return queue_email(
        eligible_approvers(order),
        template="approval_reminder",
        subject=subject,
        context={**_order_context(order), "days_waiting": days_waiting},
        dedup_key=f"approval_reminder:{order.id}:{step}",
    )


def notify_renewal_prepared(cart: Order, subscription: Subscription, buyer: User, quantity: Decimal) -> list[OutboxEmail]:
    """Tell the buyer that a renewal waits in their cart for review and submission."""
    next_year = subscription.school_year + 1
    return queue_email(
        [buyer],
        template="renewal_prepared",
        subject=_subject(
            _l(
                "Renewal %(year)s to review: %(product)s for %(school)s",
                year=f"{next_year}-{next_year + 1}",
                product=subscription.product.name,
                school=subscription.school.name,
            )
        ),
        context={
            "subscription": subscription,
            "school": subscription.school,
            "product": subscription.product,
            "quantity": quantity,
            "next_year_label": f"{next_year}-{next_year + 1}",
            "link": absolute_url("orders.cart", school_id=subscription.school_id),
        },
        dedup_key=f"renewal_prepared:{subscription.id}",
    )


def _active_buyers() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(Member, Member.id == User.member_id)
            .where(
                User.role == Role.BUYER.value,
                User.is_active_account.is_(True),
                Member.membership_status == MembershipStatus.ACTIVE.value,
            )
            .order_by(User.id)
        )
    )


def _campaign_context(campaign: Campaign) -> dict:
    return {
        "campaign": campaign,
        "products": [campaign_product.product for campaign_product in campaign.products],
        "link": absolute_url("orders.pick_school"),
    }


def notify_campaigns(fire_time: datetime) -> str:
    """Announce to every active member's buyers the campaigns that opened and those closing soon.

    A campaign is announced once when it is open on the job's day, and once more when it closes
    within CAMPAIGN_CLOSING_NOTICE_DAYS days. Dedup keys make a rerun queue nothing new.
    """
    today = fire_time.astimezone(PARIS).date()
    campaigns = db.session.scalars(
        select(Campaign)
        .where(Campaign.status == CampaignStatus.OPEN.value, Campaign.opens_on <= today, Campaign.closes_on >= today)
        .order_by(Campaign.id)
    )
    buyers = None
    opening = closing = 0
    for campaign in campaigns:
        if buyers is None:
            buyers = _active_buyers()
        closes_on = format_day(campaign.closes_on)
        opening += len(
            queue_email(
                buyers,
                template="campaign_opening",
                subject=_subject(_l("Campaign %(name)s is open until %(day)s", name=campaign.name, day=closes_on)),
                context=_campaign_context(campaign),
                dedup_key=f"campaign_opening:{campaign.id}",
            )
        )
        if campaign.closes_on - today <= timedelta(days=CAMPAIGN_CLOSING_NOTICE_DAYS):
            closing += len(
                queue_email(
                    buyers,
                    template="campaign_closing",
                    subject=_subject(_l("Campaign %(name)s closes on %(day)s", name=campaign.name, day=closes_on)),
                    context={**_campaign_context(campaign), "days_left": (campaign.closes_on - today).days},
                    dedup_key=f"campaign_closing:{campaign.id}",
                )
            )
    return f"{opening} opening and {closing} closing e-mails queued"

