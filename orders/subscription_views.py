"""The subscriptions page of a member: each school's subscriptions per school year and their renewals."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, render_template
from flask_login import current_user

from app.auth.roles import Role, roles_required
from app.timeutils import school_year_of, today_paris

from . import subscriptions

bp = Blueprint("subscriptions", __name__, url_prefix="/subscriptions")


@bp.route("")
@roles_required(Role.BUYER, Role.APPROVER)
def list_subscriptions():
    today = today_paris()
    school_year = school_year_of(today)
    example_day = date(2027, 1, 15)
    return render_template(
        "orders/subscriptions.html",
        subscriptions=subscriptions.subscriptions_of_member(current_user.member_id),
        months_today=subscriptions.pro_rata_months(today, school_year),
        school_year_label=f"{school_year}-{school_year + 1}",
        renewal_opens_on=subscriptions.renewal_opens_on(school_year),
        example_months=subscriptions.pro_rata_months(example_day, 2026),
    )
