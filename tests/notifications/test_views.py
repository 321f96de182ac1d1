"""Notification pages: history, admin outbox and job runs, approval rules and subscriptions."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from app.auth.roles import Role
from app.jobs import JobSpec, run_job
from orders import approval

from .conftest import outbox_rows, submitted_order
from .test_outbox import queue_test_email


def page_text(response) -> str:
    return response.get_data(as_text=True).replace("\u202f", " ").replace("\u00a0", " ")


def test_history_lists_own_emails_only(client_for, member_setup, factories, fixed_clock):
    queue_test_email([member_setup.buyer], subject="Pour Alice")
    queue_test_email(["someone@else.test"], subject="Pour quelqu'un d'autre")
    [other] = outbox_rows()[1:]

    client = client_for(member_setup.buyer)
    response = client.get("/notifications")

    assert response.status_code == 200
    assert "Pour Alice" in page_text(response)
    assert "Pour quelqu'un d'autre" not in page_text(response).replace("&#39;", "'")
    assert client.get(f"/notifications/{other.id}").status_code == 404


def test_history_detail_shows_text(client_for, member_setup, fixed_clock):
    [email] = queue_test_email([member_setup.buyer])

    response = client_for(member_setup.buyer).get(f"/notifications/{email.id}")

    assert response.status_code == 200
    assert "Budget épuisé" in page_text(response)


def test_outbox_page_admin_only(client_for, member_setup, factories, fixed_clock):
    admin = factories.user(Role.ADMIN)
    [email] = queue_test_email(subject="Commande BC-2026-00042 refusée")

    admin_client = client_for(admin)
    listing = admin_client.get("/admin/outbox")
    detail = admin_client.get(f"/admin/outbox/{email.id}")
    html = admin_client.get(f"/admin/outbox/{email.id}/html")

    assert listing.status_code == 200
    assert "Commande BC-2026-00042 refusée" in page_text(listing)
    assert "MAIL_DELIVERY=outbox" in page_text(listing)
    assert "En attente d'envoi" in page_text(listing).replace("&#39;", "'")
    assert detail.status_code == 200
    assert "Budget épuisé" in page_text(detail)
    assert html.headers["Content-Security-Policy"].startswith("sandbox")
    assert client_for(member_setup.approver).get("/admin/outbox").status_code == 403
    assert client_for(factories.user(Role.FINANCE)).get("/admin/jobs").status_code == 403


def test_job_runs_page_shows_outcome(client_for, factories, fixed_clock):
    def failing(fire_time):
        raise RuntimeError("SMTP injoignable")

    spec = JobSpec(name="test_failing", function=failing, description="test", hour=6, minute=0, max_attempts=1)
    run_job(spec, datetime(2026, 3, 10, 5, 0, tzinfo=timezone.utc))

    response = client_for(factories.user(Role.ADMIN)).get("/admin/jobs")

    text = page_text(response)
    assert response.status_code == 200
    assert "test_failing" in text
    assert "2026-03-10T06:00+01:00" in text
    assert "Échouée" in text
    assert "RuntimeError: SMTP injoignable" in text
    assert "prepare_renewals" in text
    assert "11/03/2026 06:30" in text  # next run, in Paris


def test_approver_sets_threshold(client_for, member_setup):
    client = client_for(member_setup.approver)

    page = client.get("/approval-rules")
    saved = client.post("/approval-rules", data={"second_approval_above": "5 000,50", "reminder_days": "5"})

    assert page.status_code == 200
    assert saved.status_code == 302
    rule = approval.rule_for(member_setup.member.id)
    assert rule.second_approval_above == Decimal("5000.50")
    assert rule.reminder_days == 5
    assert 'value="5 000,50"' in page_text(client.get("/approval-rules"))


def test_invalid_threshold_shown_on_field(client_for, member_setup):
    client = client_for(member_setup.approver)

    response = client.post("/approval-rules", data={"second_approval_above": "beaucoup", "reminder_days": "3"})

    assert response.status_code == 422
    assert "Montant : « beaucoup » n’est pas un nombre" in page_text(response).replace("&#39;", "'")
    assert approval.rule_for(member_setup.member.id).id is None


def test_buyer_cannot_open_approval_rules(client_for, member_setup):
    assert client_for(member_setup.buyer).get("/approval-rules").status_code == 403


def test_first_approval_message(client_for, member_setup, factories):
    product = factories.product(unit_price="1000.00")
    approval.save_rule(
        member_setup.member, member_setup.approver, second_approval_above=Decimal("100"), reminder_days=3
    )
    order = submitted_order(member_setup.buyer, member_setup.school, product, "1")

    response = client_for(member_setup.approver).post(f"/orders/{order.id}/approve", follow_redirects=True)

    text = page_text(response)
    assert "un second approbateur doit aussi l'approuver" in text.replace("&#39;", "'")
    assert order.status == "submitted"


def test_subscriptions_page_states_rule(client_for, member_setup):
    response = client_for(member_setup.buyer).get("/subscriptions")

    text = page_text(response)
    assert response.status_code == 200
    assert "un mois compte s'il commence à la date de la commande ou après" in text.replace("&#39;", "'")
    assert "7/12 de 1 234,56 € font 720,16 €" in text
    # 10 March 2026: April to August are left.
    assert "Une commande passée aujourd'hui pour 2025-2026 paie 5/12 du prix annuel." in text.replace("&#39;", "'")


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        ("9" * 40, "est trop grand : 99 999 999,99 € au plus."),
        ("5000,555", "Montant : 5 000,555 a trop de décimales : 2 décimales au plus."),
        ("-1", "Montant : -1 est négatif : saisissez un nombre positif."),
    ],
)
def test_threshold_out_of_bounds_is_named(client_for, member_setup, threshold, message):
    client = client_for(member_setup.approver)

    response = client.post("/approval-rules", data={"second_approval_above": threshold, "reminder_days": "3"})

    assert response.status_code == 422
    assert message in page_text(response).replace("&#39;", "'")
    assert approval.rule_for(member_setup.member.id).id is None
