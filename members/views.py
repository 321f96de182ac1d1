"""Member and school pages: the centrale's member list, member and school pages, edits, imports."""

from __future__ import annotations

import logging
import re
import secrets
import time
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from app.auth.roles import CENTRALE_ROLES, Role, roles_required
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.timeutils import today_paris

from . import services
from .forms import ImportConfirmForm, ImportUploadForm, MemberEditForm, SchoolCountsForm
from .imports import ImportRefused, import_annuaire, import_sirets
from .models import MEMBER_KIND_LABELS, MEMBERSHIP_STATUS_LABELS, MemberKind, MembershipStatus

logger = logging.getLogger(__name__)

bp = Blueprint("members", __name__)

MEMBERS_PER_PAGE = 50
IMPORTERS = {"annuaire": import_annuaire, "sirets": import_sirets}


def _page_number() -> int:
    value = request.args.get("page", "")
    return int(value) if value.isdigit() and int(value) > 0 else 1


@bp.route("/members")
@roles_required(*CENTRALE_ROLES)
def list_members():
    """List members with a search on name, SIREN or commune and filters on kind, SIRET and status."""
    kind = request.args.get("kind", "")
    status = request.args.get("status", "")
    filters = services.MemberFilters(
        search=request.args.get("q", "")[:100],
        kind=kind if kind in {item.value for item in MemberKind} else "",
        status=status if status in {item.value for item in MembershipStatus} else "",
        siret_missing=request.args.get("siret_missing") == "1",
    )
    page = db.paginate(
        services.search_members(filters), page=_page_number(), per_page=MEMBERS_PER_PAGE, error_out=False
    )
    return render_template(
        "members/list.html",
        page=page,
        schools_counts=services.count_open_schools([member.id for member in page.items]),
        filters=filters,
        kind_labels=MEMBER_KIND_LABELS,
        status_labels=MEMBERSHIP_STATUS_LABELS,
    )


def _render_member(member):
    return render_template(
        "members/member.html",
        member=member,
        can_edit=services.can_edit_member(current_user),
    )


@bp.route("/members/<int:member_id>")
@login_required
def member_detail(member_id: int):
    """Show a member's identity, address, Chorus Pro requirement and schools."""
    try:
        member = services.get_member_for_user(current_user, member_id)
    except NotFound:
        abort(404)
    return _render_member(member)


@bp.route("/my-member")
@roles_required(Role.BUYER, Role.APPROVER)
def my_member():
    """Show the member of the logged-in buyer or approver."""
    if current_user.member is None:
        abort(404)
    return _render_member(current_user.member)


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@roles_required(Role.FINANCE, Role.ADMIN)
def edit_member(member_id: int):
    """Edit a member's billing SIRET, address, Chorus Pro requirement, service codes and status."""
    try:
        member = services.get_member_for_user(current_user, member_id)
    except NotFound:
        abort(404)
    form = MemberEditForm(obj=member if request.method == "GET" else None)
    form.active_codes.choices = [
        SelectChoice(code.id, f"{code.code} – {code.label}" if code.label else code.code)
        for code in member.service_codes
    ]
    if request.method == "GET":
        form.billing_siret.data = member.billing_siret or ""
        form.active_codes.data = [code.id for code in member.active_service_codes]
    if form.validate_on_submit():
        try:
            services.update_member(
                member,
                user=current_user,
                billing_siret=form.billing_siret.data,
                address_line1=form.address_line1.data,
                address_line2=form.address_line2.data,
                postcode=form.postcode.data,
                city=form.city.data,
                chorus_requirement=form.chorus_requirement.data,
                finance_email=form.finance_email.data,
                membership_status=form.membership_status.data,
                active_code_ids=set(form.active_codes.data or []),
                new_service_code=form.new_service_code.data,
                new_service_label=form.new_service_label.data,
            )
        except ValidationFailed as error:
            db.session.rollback()
            logger.info("Edit of member %s rejected: %s", member_id, error)
            field_name = error.field or "billing_siret"
            if field_name == "siret" or field_name not in form:
                field_name = "billing_siret"
            form[field_name].errors = list(form[field_name].errors) + [str(error)]
        else:
            db.session.commit()
            flash(_("Member %(name)s saved.", name=member.name), "success")
            return redirect(url_for("members.member_detail", member_id=member.id))
    return render_template("members/edit.html", member=member, form=form)


@bp.route("/schools/<int:school_id>")
@login_required
def school_detail(school_id: int):
    """Show a school with its counts; another member's school is not found."""
    try:
        school = services.get_school_for_user(current_user, school_id)
    except NotFound:
        abort(404)
    return render_template(
        "members/school.html",
        school=school,
        can_edit_counts=services.can_edit_school_counts(current_user, school),
    )


def _current_school_year() -> int:
    """Return the starting year of today's school year, which starts on 1 September."""
    today = today_paris()
    return today.year if today.month >= 9 else today.year - 1


def _school_year_choices(school) -> list[SelectChoice]:
    """Offer the previous, current and next school years, and the year of the current counts."""
    current = _current_school_year()
    years = {current - 1, current, current + 1}
    if school.counts_school_year is not None:
        years.add(school.counts_school_year)
    return [SelectChoice(year, f"{year}-{year + 1}") for year in sorted(years)]


@bp.route("/schools/<int:school_id>/counts", methods=["GET", "POST"])
@login_required
def edit_school_counts(school_id: int):
    """Edit a school's pupils and classes for a school year (its member's users and administrators)."""
    try:
        school = services.get_school_for_user(current_user, school_id)
    except NotFound:
        abort(404)
    if not services.can_edit_school_counts(current_user, school):
        abort(403)
    form = SchoolCountsForm(obj=school if request.method == "GET" else None)
    form.school_year.choices = _school_year_choices(school)
    if request.method == "GET":
        form.school_year.data = school.counts_school_year or _current_school_year()
    if form.validate_on_submit():
        try:
            services.update_school_counts(
                school,
                user=current_user,
                pupils=form.pupils.data,
                classes=form.classes.data,
                school_year=form.school_year.data,
            )
        except (ValidationFailed, PermissionDenied) as error:
            db.session.rollback()
            logger.info("Counts of school %s rejected: %s", school_id, error)
            form[error.field or "pupils"].errors = list(form[error.field or "pupils"].errors) + [str(error)]
        else:
            db.session.commit()
            flash(_("Counts of %(school)s saved.", school=school.name), "success")
            return redirect(url_for("members.school_detail", school_id=school.id))
    return render_template("members/school_counts.html", school=school, form=form)


# --- Imports by upload: preview (dry run), then confirm ------------------------------------


# A previewed upload not confirmed within this time is deleted at the next preview.
UPLOAD_MAX_AGE_SECONDS = 24 * 3600


def _upload_folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _delete_stale_uploads() -> None:
    oldest_kept = time.time() - UPLOAD_MAX_AGE_SECONDS
    for path in _upload_folder().glob("*.csv"):
        if path.stat().st_mtime < oldest_kept:
            path.unlink(missing_ok=True)
            logger.info("Stale import upload %s deleted", path.name)


def _uploaded_file(token: str) -> Path:
    """Return the stored upload of a preview; the token is checked so it cannot name another path."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token or ""):
        abort(404)
    path = _upload_folder() / f"{token}.csv"
    if not path.is_file():
        abort(404)
    return path


@bp.route("/members/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def import_file():
    """Upload an annuaire or SIRET file and show what importing it would do, writing nothing."""
    form = ImportUploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            report = IMPORTERS[form.kind.data](data, dry_run=True)
        except ImportRefused as error:
            db.session.rollback()
            logger.info("Uploaded %s file rejected: %s", form.kind.data, error)
            form.file.errors = list(form.file.errors) + [str(error)]
        else:
            db.session.rollback()
            _delete_stale_uploads()
            token = secrets.token_urlsafe(24)
            (_upload_folder() / f"{token}.csv").write_bytes(data)
            logger.info("User %s previewed a %s import (upload %s)", current_user.id, form.kind.data, token)
            return render_template(
                "members/import_preview.html",
                report=report,
                kind=form.kind.data,
                token=token,
                form=ImportConfirmForm(),
            )
    return render_template("members/import.html", form=form)


@bp.route("/members/import/<kind>/<token>", methods=["POST"])
@roles_required(Role.ADMIN)
def confirm_import(kind: str, token: str):
    """Import a previewed file for real, then delete the stored upload."""
    if kind not in IMPORTERS:
        abort(404)
    path = _uploaded_file(token)
    form = ImportConfirmForm()
    if not form.validate_on_submit() or not form.confirm.data:
        flash(_("Tick the confirmation box to import the file."), "error")
        report = IMPORTERS[kind](path.read_bytes(), dry_run=True)
        db.session.rollback()
        return render_template("members/import_preview.html", report=report, kind=kind, token=token, form=form)
    try:
        report = IMPORTERS[kind](path.read_bytes())
    except ImportRefused as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("members.import_file"))
    db.session.commit()
    path.unlink(missing_ok=True)
    logger.info("User %s imported a %s file (upload %s)", current_user.id, kind, token)
    flash(report.summary(), "success")
    return render_template("members/import_preview.html", report=report, kind=kind, token=None, form=None)
