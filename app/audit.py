"""A business audit trail: who created or changed which record, when, and what changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .timeutils import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """One change to an audited record, with old and new values per field."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(Integer)
    entity_label: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(20))  # created, updated, archived, deleted
    # {"field": [old, new], ...} with values as strings, so Decimals and dates keep their text.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user = relationship("User")


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[str | None]]:
    """Return {field: [old, new]} for the fields whose text differs."""
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = _as_text(before.get(key)), _as_text(after.get(key))
        if old != new:
            changes[key] = [old, new]
    return changes


def record_audit(
    *, entity_type: str, entity_id: int, action: str, changes: dict, user_id: int | None, label: str = ""
) -> AuditEvent | None:
    """Add an audit row in the caller's transaction; an update with no change records nothing."""
    if action == "updated" and not changes:
        return None
    event = AuditEvent(
        entity_type=entity_type,
        entity_id=entity_id,
        entity_label=label[:200],
        action=action,
        changes=changes,
        user_id=user_id,
    )
    db.session.add(event)
    return event
