"""Campaign e-mails to the members' buyers, and the nightly closing of campaigns."""

from __future__ import annotations

from datetime import datetime, timezone

from app.auth.roles import Role
from app.mail import send_pending
from orders.jobs import close_due_campaigns
from orders.notifications import notify_campaigns

from ..campaigns.conftest import builder  # noqa: F401  (the campaign suite's builder fixture)
from .conftest import body_text, outbox_rows


def paris_morning(year, month, day):
    return datetime(year, month, day, 5, 0, tzinfo=timezone.utc)


def test_opening_and_closing_soon_emailed_once(builder, factories, smtp_server):
    product = builder.pooled_product([(1, "10.00"), (100, "8.00")], name="ENT élémentaire")
    campaign = builder.campaign(product)  # open 1 March to 30 June 2027
    member, school, buyer = builder.member_with_school(name="Commune de Granville test")
    factories.user(Role.APPROVER, member=member)
    suspended = factories.member(membership_status="suspended")
    factories.user(Role.BUYER, member=suspended)

    assert notify_campaigns(paris_morning(2027, 2, 28)) == "0 opening and 0 closing e-mails queued"
    assert notify_campaigns(paris_morning(2027, 3, 1)) == "1 opening and 0 closing e-mails queued"
    assert notify_campaigns(paris_morning(2027, 3, 2)) == "0 opening and 0 closing e-mails queued"
    assert notify_campaigns(paris_morning(2027, 6, 23)) == "0 opening and 1 closing e-mails queued"
    assert notify_campaigns(paris_morning(2027, 6, 24)) == "0 opening and 0 closing e-mails queued"

    send_pending(now=datetime(2027, 6, 24, 5, 0, tzinfo=timezone.utc))
    assert [message["To"] for message in smtp_server.messages] == [buyer.email, buyer.email]
    opening, closing = smtp_server.messages
    assert opening["Subject"] == "La campagne ENT 2027-2028 est ouverte jusqu'au 30/06/2027"
    assert "pour l'année scolaire 2027-2028 est ouverte du 01/03/2027 au 30/06/2027" in body_text(opening)
    assert "- ENT élémentaire" in body_text(opening)
    assert closing["Subject"] == "La campagne ENT 2027-2028 se termine le 30/06/2027"
    assert "se termine le 30/06/2027, dans 7 jours" in body_text(closing)
    assert campaign.is_open


def test_closing_job_closes_after_closing_date(builder):
    product = builder.pooled_product([(1, "10.00"), (100, "8.00")])
    campaign = builder.campaign(product)

    # The run of 30 June 00:15 in Paris (29 June 22:15 UTC): orders are accepted all of 30 June.
    assert close_due_campaigns(datetime(2027, 6, 29, 22, 15, tzinfo=timezone.utc)) == "0 campaigns closed"
    assert campaign.is_open
    # The run of 1 July 00:15 in Paris (30 June 22:15 UTC) closes it.
    assert close_due_campaigns(datetime(2027, 6, 30, 22, 15, tzinfo=timezone.utc)) == "1 campaigns closed"
    assert not campaign.is_open
    assert close_due_campaigns(datetime(2027, 7, 1, 22, 15, tzinfo=timezone.utc)) == "0 campaigns closed"
    assert outbox_rows("campaign_opening") == []
