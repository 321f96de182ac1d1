"""CSV imports of members and schools: the Éducation nationale annuaire and billing SIRETs.

Both imports check the whole file first and reject it (ImportRefused, nothing written) when it is
empty, binary, not UTF-8 or lacks the expected columns. Then each row is validated on its own: a
bad row is skipped and reported with its line number (the header is line 1), and the good rows
are imported in the same run. The functions flush and leave the commit to the caller.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from app.errors import ValidationFailed
from app.extensions import db
from app.identifiers import validate_insee_code, validate_siren, validate_siret, validate_uai

from .models import Member, MemberKind, School, SchoolKind, SchoolSector

logger = logging.getLogger(__name__)

ANNUAIRE_REQUIRED_COLUMNS = (
    "Identifiant_de_l_etablissement",
    "Nom_etablissement",
    "Type_etablissement",
    "Statut_public_prive",
    "Code_postal",
    "Code_commune",
    "Nom_commune",
    "SIREN_SIRET",
    "etat",
)
SIRETS_REQUIRED_COLUMNS = ("siren", "siret")

# Values of the annuaire's `etat` column for a school that still takes pupils.
OPEN_STATES = {"OUVERT", "A FERMER"}
MAX_NAME_LENGTH = 200


class ImportRefused(ValidationFailed):
    """The whole file is unusable (empty, binary, wrong columns); nothing was written."""


@dataclass
class LineMessage:
    """A rejected row or a notice, with the file's line number when it concerns one row."""

    text: str
    line: int | None = None
    is_rejection: bool = True

    def __str__(self) -> str:
        if self.line is None:
            return str(self.text)
        return _("line %(number)s: %(reason)s", number=self.line, reason=self.text)


@dataclass
class ImportReport:
    """Counts of the rows an import created, updated, left unchanged and rejected, with its messages."""

    dry_run: bool = False
    members_created: int = 0
    members_updated: int = 0
    members_unchanged: int = 0
    schools_created: int = 0
    schools_updated: int = 0
    schools_unchanged: int = 0
    rejected: int = 0
    messages: list[LineMessage] = field(default_factory=list)

    @property
    def created(self) -> int:
        return self.members_created + self.schools_created

    @property
    def updated(self) -> int:
        return self.members_updated + self.schools_updated

    @property
    def unchanged(self) -> int:
        return self.members_unchanged + self.schools_unchanged

    def reject(self, line: int, reason) -> None:
        self.rejected += 1
        self.messages.append(LineMessage(text=str(reason), line=line))

    def notice(self, text, line: int | None = None) -> None:
        self.messages.append(LineMessage(text=str(text), line=line, is_rejection=False))

    def summary(self) -> str:
        """Return the one-line French summary printed at the end of an import."""
        text = _(
            "Members: %(members_created)s created, %(members_updated)s updated, "
            "%(members_unchanged)s unchanged. Schools: %(schools_created)s created, "
            "%(schools_updated)s updated, %(schools_unchanged)s unchanged. "
            "Rejected lines: %(rejected)s.",
            members_created=self.members_created,
            members_updated=self.members_updated,
            members_unchanged=self.members_unchanged,
            schools_created=self.schools_created,
            schools_updated=self.schools_updated,
            schools_unchanged=self.schools_unchanged,
            rejected=self.rejected,
        )
        if self.dry_run:
            text = _("Dry run, nothing was saved. %(summary)s", summary=text)
        return text


# --- Reading the file --------------------------------------------------------------------


def read_csv_rows(data: bytes, required_columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Decode a CSV file and return (line number, row) pairs, or raise ImportRefused.

    Accepts UTF-8 with or without a byte-order mark and a `;` or `,` separator, chosen by the
    header. Every value is stripped of surrounding spaces.
    """
    if not data or not data.strip():
        raise ImportRefused(_l("The file is empty: choose the CSV file to import."))
    if b"\x00" in data:
        raise ImportRefused(_l("The file is not a CSV text file (it contains binary data)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportRefused(
            _l(
                "The file is not UTF-8 text (invalid byte at position %(position)s): "
                "export it again as CSV in UTF-8.",
                position=error.start,
            )
        ) from error

    header_line = text.splitlines()[0]
    delimiter = ";" if header_line.count(";") >= header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
        missing = [name for name in required_columns if name not in header]
        if missing:
            raise ImportRefused(
                _l(
                    "The file does not have the expected columns: %(missing)s missing. "
                    "Expected a CSV with at least the columns %(expected)s.",
                    missing=", ".join(missing),
                    expected=", ".join(required_columns),
                )
            )
        rows = []
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            row = {name: (values[index].strip() if index < len(values) else None) for index, name in enumerate(header)}
            rows.append((reader.line_num, row))
    except csv.Error as error:
        raise ImportRefused(
            _l("The file is not valid CSV (line %(line)s: %(error)s).", line=reader.line_num, error=str(error))
        ) from error
    if not rows:
        raise ImportRefused(_l("The file has a header but no data rows: nothing to import."))
    return rows


def _required_value(row: dict[str, str | None], column: str) -> str:
    value = row.get(column)
    if value is None:
        raise ValidationFailed(
            _l("The row is cut short: column %(column)s is missing.", column=column)
        )
    if not value:
        raise ValidationFailed(_l("%(column)s is empty.", column=column))
    return value


# --- Annuaire ------------------------------------------------------------------------------


@dataclass
class AnnuaireSchool:
    """One validated annuaire row."""

    line: int
    uai: str
    name: str
    kind: str
    sector: str
    postcode: str
    commune_insee: str
    commune_name: str
    siren: str
    siret: str | None
    is_open: bool


def _school_kind(row: dict[str, str | None]) -> str:
    establishment_type = _required_value(row, "Type_etablissement")
    normalised = establishment_type.lower().replace("è", "e").replace("é", "e")
    if normalised.startswith("college"):
        return SchoolKind.COLLEGE.value
    if normalised.startswith("lycee"):
        return SchoolKind.LYCEE.value
    if not normalised.startswith("ecole"):
        raise ValidationFailed(
            _l(
                "Type_etablissement %(value)s is not a school: only Ecole, Collège and Lycée "
                "rows are imported.",
                value=establishment_type,
            )
        )

    nursery = row.get("Ecole_maternelle") == "1"
    elementary = row.get("Ecole_elementaire") == "1"
    if nursery and elementary:
        return SchoolKind.PRIMAIRE.value
    if nursery:
        return SchoolKind.MATERNELLE.value
    if elementary:
        return SchoolKind.ELEMENTAIRE.value

    nature = (row.get("libelle_nature") or "").upper()
    for word, kind in (("PRIMAIRE", SchoolKind.PRIMAIRE), ("MATERNELLE", SchoolKind.MATERNELLE),
                       ("ELEMENTAIRE", SchoolKind.ELEMENTAIRE)):
        if word in nature:
            return kind.value

    raise ValidationFailed(
        _l(
            "The school's level is unknown: Ecole_maternelle and Ecole_elementaire are both 0 "
            "and libelle_nature (%(nature)s) names no level.",
            nature=nature,
        )
    )


def _school_sector(row: dict[str, str | None]) -> str:
    status = _required_value(row, "Statut_public_prive")
    if status.lower() == "public":
        return SchoolSector.PUBLIC.value
    if status.lower() in ("privé", "prive"):
        contract = (row.get("Type_contrat_prive") or "").upper()
        if "HORS CONTRAT" in contract:
            raise ValidationFailed(
                _l("The school is private outside contract (hors contrat): only public and "
                   "private under contract schools are members' schools.")
            )
        return SchoolSector.PRIVATE_CONTRACT.value
    raise ValidationFailed(
        _l("Statut_public_prive %(value)s is invalid: expected Public or Privé.", value=status)
    )


def parse_annuaire_row(line: int, row: dict[str, str | None]) -> AnnuaireSchool:
    """Validate one annuaire row, or raise ValidationFailed with the first rule it breaks."""
    for column in ANNUAIRE_REQUIRED_COLUMNS:
        if row.get(column) is None:
            raise ValidationFailed(
                _l("The row is cut short: column %(column)s is missing.", column=column)
            )

    uai = validate_uai(_required_value(row, "Identifiant_de_l_etablissement"))
    name = _required_value(row, "Nom_etablissement")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            _l("Nom_etablissement is too long: at most %(max)s characters.", max=MAX_NAME_LENGTH)
        )

    kind = _school_kind(row)
    sector = _school_sector(row)

    postcode = _required_value(row, "Code_postal")
    if not re.fullmatch(r"\d{5}", postcode):
        raise ValidationFailed(
            _l("Code_postal %(value)s is invalid: a French postcode has 5 digits.", value=postcode)
        )

    commune_insee = validate_insee_code(_required_value(row, "Code_commune"))
    commune_name = _required_value(row, "Nom_commune")

    identifier = row.get("SIREN_SIRET") or ""
    if not identifier:
        raise ValidationFailed(
            _l("SIREN_SIRET is empty: the member that pays for this school is unknown.")
        )
    compact = re.sub(r"\s", "", identifier)
    if len(compact) == 9:
        siren, siret = validate_siren(compact), None
    else:
        siret = validate_siret(compact)
        siren = siret[:9]

    state = _required_value(row, "etat").upper()

    return AnnuaireSchool(
        line=line,
        uai=uai,
        name=name,
        kind=kind,
        sector=sector,
        postcode=postcode,
        commune_insee=commune_insee,
        commune_name=commune_name,
        siren=siren,
        siret=siret,
        is_open=state in OPEN_STATES,
    )


def _new_member(school: AnnuaireSchool) -> Member:
    """Build the member that pays for a school seen for the first time.

    A public school's SIREN_SIRET is the SIRET of the commune that owns it when the SIREN starts
    with 21 (the INSEE prefix of communes). Any other payer is created as kind "other", named after
    the school, for an administrator to rename.
    """
    if school.sector == SchoolSector.PUBLIC.value and school.siren.startswith("21"):
        return Member(
            siren=school.siren,
            name=school.commune_name,
            kind=MemberKind.COMMUNE.value,
            insee_code=school.commune_insee,
            postcode=school.postcode,
            city=school.commune_name,
            billing_siret=school.siret,
        )
    # NOTE: the annuaire does not name the body behind a private school (its OGEC) or a public
    # school owned by a grouping, so the member's name is a placeholder until it is corrected.
    return Member(
        siren=school.siren,
        name=_("Paying body of %(school)s", school=school.name)[:MAX_NAME_LENGTH],
        kind=MemberKind.OTHER.value,
        billing_siret=school.siret,
    )


SCHOOL_FIELDS = ("name", "kind", "sector", "postcode", "commune_insee", "commune_name", "is_open")


def _apply_school(report: ImportReport, school: School | None, row: AnnuaireSchool, member: Member) -> School:
    """Create the school or update the fields the annuaire gives; pupil and class counts are kept."""
    if school is None:
        school = School(uai=row.uai, member=member, **{name: getattr(row, name) for name in SCHOOL_FIELDS})
        db.session.add(school)
        report.schools_created += 1
        return school
    changed = [name for name in SCHOOL_FIELDS if getattr(school, name) != getattr(row, name)]
    if school.member is not member:
        changed.append("member")
    if not changed:
        report.schools_unchanged += 1
        return school
    for name in SCHOOL_FIELDS:
        setattr(school, name, getattr(row, name))
    school.member = member
    report.schools_updated += 1
    logger.info("School %s updated from the annuaire line %s: %s", school.uai, row.line, ", ".join(changed))
    return school


def _report_siret_conflicts(report: ImportReport, members: dict[str, Member], conflicts: dict[str, list[tuple[int, str]]]) -> None:
    """Report, once per member, the file's SIRETs that differ from the billing SIRET it keeps."""
    for siren, occurrences in conflicts.items():
        member = members[siren]
        sirets = sorted({siret for _line, siret in occurrences})
        report.notice(
            ngettext(
                "SIREN %(siren)s (%(name)s): %(num)d line gives another SIRET (%(sirets)s) than "
                "the billing SIRET %(billing)s, which is kept. Change it on the member's page if "
                "needed. Line: %(lines)s.",
                "SIREN %(siren)s (%(name)s): %(num)d lines give another SIRET (%(sirets)s) than "
                "the billing SIRET %(billing)s, which is kept. Change it on the member's page if "
                "needed. Lines: %(lines)s.",
                len(occurrences),
                siren=siren,
                name=member.name,
                sirets=", ".join(sirets[:5]) + (", …" if len(sirets) > 5 else ""),
                billing=member.billing_siret,
                lines=", ".join(str(line) for line, _siret in occurrences),
            ),
            line=None,
        )


def import_annuaire(data: bytes, *, dry_run: bool = False) -> ImportReport:
    """Create or update members and schools from an Éducation nationale annuaire CSV.

    Members are matched by SIREN (the first 9 digits of SIREN_SIRET), schools by UAI. A member's
    billing SIRET is set from the file only while it has none. A different SIRET is reported,
    never written over. With ``dry_run`` every change is made inside a savepoint that is rolled
    back, so the report's counts are exact and nothing is written.
    """
    rows = read_csv_rows(data, ANNUAIRE_REQUIRED_COLUMNS)
    report = ImportReport(dry_run=dry_run)
    logger.info("Annuaire import started: %s rows, dry run %s", len(rows), dry_run)

    parsed: list[AnnuaireSchool] = []
    first_line_of_uai: dict[str, int] = {}
    for line, row in rows:
        try:
            school = parse_annuaire_row(line, row)
        except ValidationFailed as error:
            report.reject(line, error)
            continue
        if school.uai in first_line_of_uai:
            report.reject(
                line,
                _l("UAI %(uai)s is already on line %(first)s of this file: this line is ignored.",
                   uai=school.uai, first=first_line_of_uai[school.uai]),
            )
            continue
        first_line_of_uai[school.uai] = line
        parsed.append(school)

    savepoint = db.session.begin_nested()
    members = {
        member.siren: member
        for member in db.session.scalars(select(Member).where(Member.siren.in_({row.siren for row in parsed})))
    }
    schools = {
        school.uai: school
        for school in db.session.scalars(select(School).where(School.uai.in_(first_line_of_uai)))
    }
    touched_members: set[str] = set()
    updated_members: set[str] = set()
    conflicts: dict[str, list[tuple[int, str]]] = {}
    with db.session.no_autoflush:
        for row in parsed:
            member = members.get(row.siren)
            if member is None:
                member = _new_member(row)
                db.session.add(member)
                members[row.siren] = member
                report.members_created += 1
                updated_members.add(row.siren)
            elif row.siret and member.billing_siret is None:
                member.billing_siret = row.siret
                updated_members.add(row.siren)
                report.members_updated += 1
                logger.info("Member %s gets billing SIRET %s from line %s", member.id, row.siret, row.line)
            elif row.siret and member.billing_siret != row.siret:
                conflicts.setdefault(row.siren, []).append((row.line, row.siret))
            touched_members.add(row.siren)
            schools[row.uai] = _apply_school(report, schools.get(row.uai), row, member)
    report.members_unchanged = len(touched_members - updated_members)
    _report_siret_conflicts(report, members, conflicts)
    db.session.flush()
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    logger.info(
        "Annuaire import finished: %s created, %s updated, %s unchanged, %s rejected, dry run %s",
        report.created, report.updated, report.unchanged, report.rejected, dry_run,
    )
    return report


# --- Billing SIRETs -------------------------------------------------------------------------


def import_sirets(data: bytes, *, dry_run: bool = False) -> ImportReport:
    """Complete members' billing SIRETs from a CSV with `siren` and `siret` columns.

    A SIRET is written only on a member that has none. Rows are rejected when the SIREN is
    unknown, the SIRET is invalid or not of that SIREN, or the member already has another SIRET.
    """
    rows = read_csv_rows(data, SIRETS_REQUIRED_COLUMNS)
    report = ImportReport(dry_run=dry_run)
    logger.info("SIRET import started: %s rows, dry run %s", len(rows), dry_run)

    sirens = {re.sub(r"\s", "", row.get("siren") or "") for _line, row in rows}
    savepoint = db.session.begin_nested()
    members = {
        member.siren: member for member in db.session.scalars(select(Member).where(Member.siren.in_(sirens)))
    }
    for line, row in rows:
        try:
            siren = validate_siren(_required_value(row, "siren"))
            siret = validate_siret(_required_value(row, "siret"), siren=siren)
        except ValidationFailed as error:
            report.reject(line, error)
            continue
        member = members.get(siren)
        if member is None:
            report.reject(
                line,
                _l("No member has SIREN %(siren)s: import the member first or correct the SIREN.", siren=siren),
            )
            continue
        if member.billing_siret == siret:
            report.members_unchanged += 1
        elif member.billing_siret is None:
            member.billing_siret = siret
            report.members_updated += 1
            logger.info("Member %s gets billing SIRET %s from line %s", member.id, siret, line)
        else:
            report.reject(
                line,
                _l(
                    "Member %(name)s already has the billing SIRET %(current)s: %(siret)s is not "
                    "written. Change it on the member's page if it is wrong.",
                    name=member.name,
                    current=member.billing_siret,
                    siret=siret,
                ),
            )
    db.session.flush()
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    logger.info(
        "SIRET import finished: %s updated, %s unchanged, %s rejected, dry run %s",
        report.members_updated, report.members_unchanged, report.rejected, dry_run,
    )
    return report
