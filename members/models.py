"""Members (collectivités), their Chorus Pro service codes and their schools."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.timeutils import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.auth.models import User


class MemberKind(str, enum.Enum):
    COMMUNE = "commune"
    EPCI = "epci"
    DEPARTEMENT = "departement"
    REGION = "region"
    SYNDICAT = "syndicat"
    OTHER = "other"


MEMBER_KIND_LABELS = {
    MemberKind.COMMUNE: _l("Commune"),
    MemberKind.EPCI: _l("Intercommunality (EPCI)"),
    MemberKind.DEPARTEMENT: _l("Département"),
    MemberKind.REGION: _l("Région"),
    MemberKind.SYNDICAT: _l("Syndicat"),
    MemberKind.OTHER: _l("Other"),
}


class ChorusRequirement(str, enum.Enum):
    """Chorus Pro references required on this member's invoices."""

    NONE = "none"
    SERVICE_CODE = "service_code"
    ENGAGEMENT = "engagement"
    BOTH = "both"
    EITHER = "either"


CHORUS_REQUIREMENT_LABELS = {
    ChorusRequirement.NONE: _l("No reference required"),
    ChorusRequirement.SERVICE_CODE: _l("Service code required"),
    ChorusRequirement.ENGAGEMENT: _l("Engagement number required"),
    ChorusRequirement.BOTH: _l("Service code and engagement number required"),
    ChorusRequirement.EITHER: _l("Service code or engagement number required"),
}


class MembershipStatus(str, enum.Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LEFT = "left"


MEMBERSHIP_STATUS_LABELS = {
    MembershipStatus.ACTIVE: _l("Active member"),
    MembershipStatus.SUSPENDED: _l("Membership suspended"),
    MembershipStatus.LEFT: _l("Former member"),
}


class SchoolKind(str, enum.Enum):
    MATERNELLE = "maternelle"
    ELEMENTAIRE = "elementaire"
    PRIMAIRE = "primaire"
    COLLEGE = "college"
    LYCEE = "lycee"


SCHOOL_KIND_LABELS = {
    SchoolKind.MATERNELLE: _l("Nursery school (maternelle)"),
    SchoolKind.ELEMENTAIRE: _l("Elementary school (élémentaire)"),
    SchoolKind.PRIMAIRE: _l("Primary school (primaire)"),
    SchoolKind.COLLEGE: _l("Collège"),
    SchoolKind.LYCEE: _l("Lycée"),
}


class SchoolSector(str, enum.Enum):
    PUBLIC = "public"
    PRIVATE_CONTRACT = "private_contract"


SCHOOL_SECTOR_LABELS = {
    SchoolSector.PUBLIC: _l("Public"),
    SchoolSector.PRIVATE_CONTRACT: _l("Private under contract"),
}


class Member(db.Model):
    """A collectivité or grouping that buys through the centrale and pays for its schools."""

    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint("length(siren) = 9", name="siren_length"),
        CheckConstraint("billing_siret IS NULL OR length(billing_siret) = 14", name="siret_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default=MemberKind.COMMUNE.value)
    siren: Mapped[str] = mapped_column(String(9), unique=True)
    # SIRET of the establishment invoiced through Chorus Pro; unknown at first for most members.
    billing_siret: Mapped[str | None] = mapped_column(String(14))
    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    insee_code: Mapped[str | None] = mapped_column(String(5))
    chorus_requirement: Mapped[str] = mapped_column(String(20), default=ChorusRequirement.NONE.value)
    membership_status: Mapped[str] = mapped_column(String(20), default=MembershipStatus.ACTIVE.value)
    finance_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    schools: Mapped[list[School]] = relationship(back_populates="member", order_by="School.name")
    service_codes: Mapped[list[ServiceCode]] = relationship(
        back_populates="member", order_by="ServiceCode.code", cascade="all, delete-orphan"
    )
    users: Mapped[list[User]] = relationship("User", back_populates="member")

    @property
    def kind_label(self) -> str:
        return str(MEMBER_KIND_LABELS[MemberKind(self.kind)])

    @property
    def chorus_requirement_label(self) -> str:
        return str(CHORUS_REQUIREMENT_LABELS[ChorusRequirement(self.chorus_requirement)])

    @property
    def membership_status_label(self) -> str:
        return str(MEMBERSHIP_STATUS_LABELS[MembershipStatus(self.membership_status)])

    @property
    def is_active_member(self) -> bool:
        return self.membership_status == MembershipStatus.ACTIVE.value

    @property
    def active_service_codes(self) -> list[ServiceCode]:
        return [code for code in self.service_codes if code.is_active]

    def __repr__(self) -> str:
        return f"<Member {self.siren} {self.name}>"


class ServiceCode(db.Model):
    """A Chorus Pro service code of a member's public structure (BT-10 on invoices)."""

    __tablename__ = "service_codes"
    __table_args__ = (UniqueConstraint("member_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(200), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)

    member: Mapped[Member] = relationship(back_populates="service_codes")


class School(db.Model):
    """A school (école, collège, lycée) identified by its UAI, paid for by one member."""

    __tablename__ = "schools"
    __table_args__ = (
        CheckConstraint("pupils IS NULL OR pupils >= 0", name="pupils_not_negative"),
        CheckConstraint("classes IS NULL OR classes >= 0", name="classes_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uai: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    sector: Mapped[str] = mapped_column(String(20), default=SchoolSector.PUBLIC.value)
    postcode: Mapped[str] = mapped_column(String(10), default="")
    commune_insee: Mapped[str] = mapped_column(String(5), default="")
    commune_name: Mapped[str] = mapped_column(String(100), default="")
    pupils: Mapped[int | None] = mapped_column(Integer)
    classes: Mapped[int | None] = mapped_column(Integer)
    # Starting year of the school year the counts belong to (2025 for 2025-2026).
    counts_school_year: Mapped[int | None] = mapped_column(Integer)
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    member: Mapped[Member] = relationship(back_populates="schools")

    @property
    def kind_label(self) -> str:
        return str(SCHOOL_KIND_LABELS[SchoolKind(self.kind)])

    @property
    def sector_label(self) -> str:
        return str(SCHOOL_SECTOR_LABELS[SchoolSector(self.sector)])

    @property
    def counts_school_year_label(self) -> str:
        if self.counts_school_year is None:
            return ""
        return f"{self.counts_school_year}-{self.counts_school_year + 1}"

    def __repr__(self) -> str:
        return f"<School {self.uai} {self.name}>"
