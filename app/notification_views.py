"""Notification pages: each user's e-mail history, the admin outbox and the recent job runs."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required

from . import jobs, timeutils
from .auth.roles import Role, roles_required
from .extensions import db
from .mail import OUTBOX_STATUS_LABELS, OutboxEmail, OutboxStatus, emails_for_user, recent_emails

bp = Blueprint("notifications", __name__)
admin_bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/notifications")
@login_required
def history():
    return render_template("notifications/history.html", emails=emails_for_user(current_user))


@bp.route("/notifications/<int:email_id>")
@login_required
def history_detail(email_id: int):
    email = db.session.get(OutboxEmail, email_id)
    if email is None or not (email.user_id == current_user.id or email.to_address == current_user.email):
        abort(404)
    return render_template("notifications/detail.html", email=email)


@admin_bp.route("/outbox")
@roles_required(Role.ADMIN)
def outbox():
    status = request.args.get("status") or None
    if status not in (None, *(item.value for item in OutboxStatus)):
        status = None
    return render_template(
        "admin/outbox.html",
        emails=recent_emails(status=status),
        status=status,
        statuses=[(item.value, str(label)) for item, label in OUTBOX_STATUS_LABELS.items()],
    )


def _outbox_email_or_404(email_id: int) -> OutboxEmail:
    email = db.session.get(OutboxEmail, email_id)
    if email is None:
        abort(404)
    return email


@admin_bp.route("/outbox/<int:email_id>")
@roles_required(Role.ADMIN)
def outbox_detail(email_id: int):
    return render_template("admin/outbox_detail.html", email=_outbox_email_or_404(email_id))


@admin_bp.route("/outbox/<int:email_id>/html")
@roles_required(Role.ADMIN)
def outbox_html(email_id: int):
    """Serve the HTML body as sent, sandboxed so that it can run nothing in the application's origin."""
    response = Response(_outbox_email_or_404(email_id).html_body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    return response


@admin_bp.route("/jobs")
@roles_required(Role.ADMIN)
def job_runs():
    from .scheduler import job_specs

    now = timeutils.utcnow()
    schedule = [(spec, jobs.next_fire_time(spec, now)) for spec in job_specs()]
    return render_template("admin/job_runs.html", runs=jobs.recent_runs(), schedule=schedule)
