"""Report pages and downloads: the centrale dashboard, campaign reports and member reports."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.roles import CENTRALE_ROLES, MEMBER_ROLES, roles_required
from app.errors import NotFound
from app.templating import allowed_query_args
from members.services import get_member_for_user
from orders.campaigns import get_campaign, list_campaigns

from .charts import campaign_charts, dashboard_charts, member_charts
from .exports import EXPORT_FORMATS, MEDIA_TYPES, export_campaign, export_filename, export_member
from .services import campaign_report, campaigns_of_member, dashboard, member_report

logger = logging.getLogger(__name__)

bp = Blueprint("reports", __name__, url_prefix="/rapports")

CENTRALE = tuple(CENTRALE_ROLES)
EVERYONE = tuple(CENTRALE_ROLES | MEMBER_ROLES)


def _download(data: bytes, filename: str, file_format: str) -> Response:
    response = Response(data, mimetype=MEDIA_TYPES[file_format])
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _campaign_or_404(campaign_id: int):
    try:
        return get_campaign(campaign_id)
    except NotFound:
        abort(404)


@bp.route("/", endpoint="dashboard")
@roles_required(*CENTRALE)
def dashboard_page():
    board = dashboard()
    return render_template("reports/dashboard.html", board=board, charts=dashboard_charts(board))


@bp.route("/campagnes/<int:campaign_id>")
@roles_required(*CENTRALE)
def campaign_page(campaign_id: int):
    campaign = _campaign_or_404(campaign_id)
    report = campaign_report(campaign)
    return render_template(
        "reports/campaign.html", report=report, charts=campaign_charts(report), campaigns=list_campaigns()
    )


@bp.route("/campagnes/<int:campaign_id>/export.<file_format>")
@roles_required(*CENTRALE)
def campaign_export(campaign_id: int, file_format: str):
    if file_format not in EXPORT_FORMATS:
        abort(404)
    campaign = _campaign_or_404(campaign_id)
    data = export_campaign(campaign_report(campaign), file_format)
    logger.info("Campaign %s report exported as %s by user %s", campaign.id, file_format, current_user.id)
    return _download(data, export_filename(f"rapport-campagne-{campaign.name}", file_format), file_format)


@bp.route("/mon-rapport")
@roles_required(*MEMBER_ROLES)
def my_report():
    return redirect(url_for("reports.member_page", member_id=current_user.member_id, **allowed_query_args("campagne")))


def _member_and_campaign(member_id: int):
    """Return the member the user may see (404 otherwise) and the ?campagne= campaign, if any."""
    try:
        member = get_member_for_user(current_user, member_id)
    except NotFound:
        abort(404)
    campaign = None
    campaign_id = request.args.get("campagne", type=int)
    if campaign_id:
        campaign = _campaign_or_404(campaign_id)
    return member, campaign


@bp.route("/adherents/<int:member_id>")
@roles_required(*EVERYONE)
def member_page(member_id: int):
    member, campaign = _member_and_campaign(member_id)
    report = member_report(member, campaign)
    return render_template(
        "reports/member.html",
        report=report,
        charts=member_charts(report),
        campaigns=campaigns_of_member(member),
    )


@bp.route("/adherents/<int:member_id>/export.<file_format>")
@roles_required(*EVERYONE)
def member_export(member_id: int, file_format: str):
    if file_format not in EXPORT_FORMATS:
        abort(404)
    member, campaign = _member_and_campaign(member_id)
    data = export_member(member_report(member, campaign), file_format)
    logger.info("Member %s report exported as %s by user %s", member.id, file_format, current_user.id)
    stem = "annexe-economies" if file_format == "pdf" else "rapport-adherent"
    suffix = f"-{campaign.name}" if campaign else ""
    return _download(data, export_filename(f"{stem}-{member.siren}{suffix}", file_format), file_format)
