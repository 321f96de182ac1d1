"""Scheduled jobs of the orders domain; app.scheduler runs them in Europe/Paris."""

from __future__ import annotations

import logging
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.jobs import JobSpec
from app.timeutils import PARIS

from .approval import remind_pending_approvals
from .campaign_models import Campaign, CampaignStatus
from .notifications import notify_campaigns
from .subscriptions import prepare_renewals

logger = logging.getLogger(__name__)


def close_due_campaigns(fire_time: datetime) -> str:
    """Close every open campaign whose closing date has passed (the close is idempotent).

    A campaign accepts orders up to and including its closing date, so the job that runs at
    00:15 closes the campaigns whose closing date was the day before or earlier.
    """
    from .campaigns import close_campaign

    today = fire_time.astimezone(PARIS).date()
    campaigns = list(
        db.session.scalars(
            select(Campaign)
            .where(Campaign.status == CampaignStatus.OPEN.value, Campaign.closes_on < today)
            .order_by(Campaign.closes_on, Campaign.id)
        )
    )
    closed = 0
    for campaign in campaigns:
        result = close_campaign(campaign, now=fire_time)
        closed += int(result.closed)
        logger.info("Campaign %s closed by the scheduler: %s settlements", campaign.id, len(result.settlements))
    return f"{closed} campaigns closed"


JOBS = [
    JobSpec(
        name="close_campaigns",
        function=close_due_campaigns,
        description=_l("Close the campaigns whose closing date has passed"),
        hour=0,
        minute=15,
    ),
    JobSpec(
        name="remind_approvals",
        function=remind_pending_approvals,
        description=_l("Remind approvers of orders waiting longer than their member's delay"),
        hour=6,
        minute=0,
    ),
    JobSpec(
        name="notify_campaigns",
        function=notify_campaigns,
        description=_l("Tell buyers about campaigns that opened or close within 7 days"),
        hour=6,
        minute=0,
    ),
    JobSpec(
        name="prepare_renewals",
        function=prepare_renewals,
        description=_l("Prepare next school year's subscription renewals in the buyers' carts"),
        hour=6,
        minute=30,
    ),
]
