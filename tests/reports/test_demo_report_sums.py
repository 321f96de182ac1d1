"""On the demo data, every member report's breakdowns add up to its summary, to the cent."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from app.extensions import db
from members.models import Member
from reports.services import member_report
from tests.demo.test_demo_load import SAINT_LO_SIREN, run_cli  # noqa: F401 (run_cli is a fixture)


def test_demo_saint_lo_savings_add_up(run_cli):
    run_cli("demo", "load")
    saint_lo = db.session.scalar(select(Member).where(Member.siren == SAINT_LO_SIREN))

    report = member_report(saint_lo)

    assert report.savings == Decimal("964.15")
    assert sum(row.savings for row in report.categories) == Decimal("964.15")
    assert sum(row.savings for row in report.months) == Decimal("964.15")
    assert report.spend == Decimal("9659.25")


def test_demo_every_member_report_adds_up(run_cli):
    run_cli("demo", "load")

    mismatches = []
    for member in db.session.scalars(select(Member).order_by(Member.id)):
        report = member_report(member)
        for breakdown in ("categories", "months"):
            rows = getattr(report, breakdown)
            if sum((row.savings for row in rows), Decimal(0)) != report.savings:
                mismatches.append((member.name, breakdown, "savings"))
            if sum((row.spend for row in rows), Decimal(0)) != report.spend:
                mismatches.append((member.name, breakdown, "spend"))
    assert mismatches == []
