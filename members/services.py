"""Member and school rules: who may see which member and school, and the edits on them.

The CSV imports (annuaire, SIRETs) live in members/imports.py and reuse these helpers.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select

from app.audit import diff_fields, record_audit
from app.auth.models import User
from app.auth.roles import Role
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.identifiers import validate_siret

from .models import ChorusRequirement, Member, MembershipStatus, School, ServiceCode

logger = logging.getLogger(__name__)


def can_see_member(user: User, member: Member) -> bool:
    """Centrale users see every member; a member-side user sees only their own member."""
    if not user.is_member_side:
        return True
    return user.member_id == member.id


def get_member_for_user(user: User, member_id: int) -> Member:
    """Return the member, or raise NotFound when it does not exist or belongs to someone else."""
    member = db.session.get(Member, member_id)
    if member is None or not can_see_member(user, member):
        raise NotFound(_l("Member %(id)s not found.", id=member_id))
    return member


def schools_for_user(user: User) -> list[School]:
    """Return the schools the user may order for: the open schools of their own member.

    Centrale users order for no school, so they get an empty list.
    """
    if not user.is_member_side or user.member_id is None:
        return []
    return list(
        db.session.scalars(
            select(School)
            .where(School.member_id == user.member_id, School.is_open.is_(True))
            .order_by(School.name, School.uai)
        )
    )


def get_school_for_user(user: User, school_id: int) -> School:
    """Return the school, or raise NotFound when it does not exist or is another member's.

    Centrale users may see every school; closed schools are returned too, so that old orders
    still show their beneficiary.
    """
    school = db.session.get(School, school_id)
    if school is None:
        raise NotFound(_l("School %(id)s not found.", id=school_id))
    if user.is_member_side and school.member_id != user.member_id:
        raise NotFound(_l("School %(id)s not found.", id=school_id))
    return school


def can_edit_member(user: User) -> bool:
    """Only finance and administrators change a member's billing data and status."""
    return user.has_role(Role.FINANCE, Role.ADMIN)


def can_edit_school_counts(user: User, school: School) -> bool:
    """Return True for an administrator or a member-side user of the school's member."""
    if user.has_role(Role.ADMIN):
        return True
    return user.is_member_side and user.member_id == school.member_id


def check_billing_siret(member: Member, value: str | None) -> str | None:
    """Return the normalised billing SIRET (None when empty), checked against the member's SIREN."""
    if value is None or not value.strip():
        return None
    return validate_siret(value, siren=member.siren)


def require(allowed: bool) -> None:
    """Raise PermissionDenied unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(_l("You are not allowed to change this record."))


def _member_snapshot(member: Member) -> dict:
    return {
        "billing_siret": member.billing_siret,
        "address_line1": member.address_line1,
        "address_line2": member.address_line2,
        "postcode": member.postcode,
        "city": member.city,
        "chorus_requirement": member.chorus_requirement,
        "finance_email": member.finance_email,
        "membership_status": member.membership_status,
        "service_codes": ", ".join(code.code for code in member.active_service_codes),
    }


SERVICE_CODE_REQUIREMENTS = {ChorusRequirement.SERVICE_CODE.value, ChorusRequirement.BOTH.value}


def update_member(
    member: Member,
    *,
    user: User,
    billing_siret: str | None,
    address_line1: str,
    address_line2: str,
    postcode: str,
    city: str,
    chorus_requirement: str,
    finance_email: str,
    membership_status: str,
    active_code_ids: set[int],
    new_service_code: str = "",
    new_service_label: str = "",
) -> None:
    """Change a member's billing data, Chorus Pro requirement, service codes and status.

    Only finance and administrators may do it (PermissionDenied otherwise). Every value is
    checked before anything changes, so a ValidationFailed leaves the member as it was. Service
    codes are never deleted, because past orders cite them: ``active_code_ids`` lists the codes
    that stay active and the others are deactivated. Records an audit event and flushes.
    """
    require(can_edit_member(user))
    siret = check_billing_siret(member, billing_siret)
    postcode = (postcode or "").strip()
    if postcode and not re.fullmatch(r"\d{5}", postcode):
        raise ValidationFailed(
            _l("Postcode %(value)s is invalid: a French postcode has 5 digits.", value=postcode),
            field="postcode",
        )
    requirement = ChorusRequirement(chorus_requirement).value
    status = MembershipStatus(membership_status).value
    new_code = (new_service_code or "").strip()
    if len(new_code) > 100:
        raise ValidationFailed(
            _l("Service code is too long: Chorus Pro accepts at most 100 characters."),
            field="new_service_code",
        )
    existing_codes = {code.code: code for code in member.service_codes}
    will_be_active = {code.code for code in member.service_codes if code.id in active_code_ids}
    if new_code:
        will_be_active.add(new_code)
    if requirement in SERVICE_CODE_REQUIREMENTS and not will_be_active:
        raise ValidationFailed(
            _l(
                "This Chorus Pro requirement needs a service code: add the member's service "
                "code or choose another requirement."
            ),
            field="chorus_requirement",
        )

    before = _member_snapshot(member)
    member.billing_siret = siret
    member.address_line1 = (address_line1 or "").strip()
    member.address_line2 = (address_line2 or "").strip()
    member.postcode = postcode
    member.city = (city or "").strip()
    member.chorus_requirement = requirement
    member.finance_email = (finance_email or "").strip()
    member.membership_status = status
    for code in member.service_codes:
        code.is_active = code.id in active_code_ids
    if new_code:
        if new_code in existing_codes:
            existing_codes[new_code].is_active = True
            if new_service_label:
                existing_codes[new_code].label = new_service_label.strip()
        else:
            member.service_codes.append(
                ServiceCode(code=new_code, label=(new_service_label or "").strip(), is_active=True)
            )
    db.session.flush()
    changes = diff_fields(before, _member_snapshot(member))
    record_audit(
        entity_type="member",
        entity_id=member.id,
        action="updated",
        changes=changes,
        user_id=user.id,
        label=member.name,
    )
    db.session.flush()
    logger.info("Member %s updated by user %s: %s", member.id, user.id, ", ".join(changes) or "no change")


def update_school_counts(
    school: School, *, user: User, pupils: int | None, classes: int | None, school_year: int
) -> None:
    """Record a school's pupils and classes for a school year (its starting year, 2025 for 2025-2026).

    Allowed for the member's own users and administrators (PermissionDenied otherwise).
    """
    require(can_edit_school_counts(user, school))
    for name, value in (("pupils", pupils), ("classes", classes)):
        if value is not None and value < 0:
            raise ValidationFailed(_l("A count cannot be negative: enter 0 or more."), field=name)
    if pupils is not None and classes is not None and classes > pupils:
        raise ValidationFailed(
            _l("A school cannot have more classes than pupils: check both counts."), field="classes"
        )
    before = {"pupils": school.pupils, "classes": school.classes, "counts_school_year": school.counts_school_year}
    school.pupils = pupils
    school.classes = classes
    school.counts_school_year = school_year
    after = {"pupils": school.pupils, "classes": school.classes, "counts_school_year": school.counts_school_year}
    record_audit(
        entity_type="school",
        entity_id=school.id,
        action="updated",
        changes=diff_fields(before, after),
        user_id=user.id,
        label=school.uai,
    )
    db.session.flush()
    logger.info("School %s counts set to %s pupils, %s classes for %s by user %s",
                school.id, pupils, classes, school_year, user.id)



@dataclass(frozen=True)
class MemberFilters:
    """The member list's search text and filters; empty values do not filter."""

    search: str = ""
    kind: str = ""
    status: str = ""
    siret_missing: bool = False


def search_members(filters: MemberFilters):
    """Return a select of the members matching the filters, by name.

    The search text matches the member's name, SIREN, billing SIRET or city, and the name or
    INSEE code of the commune of one of its schools. Centrale users only: it does not filter by member.
    """
    statement = select(Member).order_by(Member.name, Member.siren)
    text = filters.search.strip()
    if text:
        pattern = f"%{text}%"
        school_commune = select(School.id).where(
            School.member_id == Member.id,
            or_(School.commune_name.ilike(pattern), School.commune_insee == text),
        )
        statement = statement.where(
            or_(
                Member.name.ilike(pattern),
                Member.siren == text.replace(" ", ""),
                Member.billing_siret == text.replace(" ", ""),
                Member.city.ilike(pattern),
                Member.insee_code == text,
                exists(school_commune),
            )
        )
    if filters.kind:
        statement = statement.where(Member.kind == filters.kind)
    if filters.status:
        statement = statement.where(Member.membership_status == filters.status)
    if filters.siret_missing:
        statement = statement.where(Member.billing_siret.is_(None))
    return statement


def count_open_schools(member_ids: list[int]) -> dict[int, int]:
    """Return the number of open schools per member id, in one query (members with none are absent)."""
    rows = db.session.execute(
        select(School.member_id, func.count(School.id))
        .where(School.member_id.in_(member_ids), School.is_open.is_(True))
        .group_by(School.member_id)
    )
    return {member_id: count for member_id, count in rows}


# The imports are kept in their own module and offered here with the other member rules.
from .imports import ImportRefused, ImportReport, import_annuaire, import_sirets  # noqa: E402,F401
