"""Gap-free document numbers per series and year (BC-2026-00001, FA-2026-00001...).

The counter row is incremented with UPDATE ... RETURNING inside the caller's transaction.
On PostgreSQL the UPDATE locks the row until commit, so concurrent transactions queue on it;
on SQLite it takes the database write lock. A rollback gives the number back, so the series
has no gap and no duplicate. This is deliberately not a database sequence, whose values are
lost on rollback.
"""

from __future__ import annotations

from sqlalchemy import Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db


class DocumentCounter(db.Model):
    """The last number given in one series (BC, FA, AV) and year."""

    __tablename__ = "document_counters"

    series: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


_INCREMENT = text(
    "UPDATE document_counters SET last_value = last_value + 1 "
    "WHERE series = :s AND year = :y RETURNING last_value"
)


def format_number(series: str, year: int, value: int) -> str:
    return f"{series}-{year}-{value:05d}"


def next_number(series: str, year: int) -> str:
    """Take the next number of ``series`` for ``year`` in the current transaction."""
    session = db.session
    insert_sql = {
        "postgresql": "INSERT INTO document_counters (series, year, last_value) VALUES (:s, :y, 0) "
        "ON CONFLICT (series, year) DO NOTHING",
        "sqlite": "INSERT OR IGNORE INTO document_counters (series, year, last_value) VALUES (:s, :y, 0)",
    }[session.get_bind().dialect.name]
    value = session.execute(
        _INCREMENT,
        {"s": series, "y": year},
    ).scalar()
    if value is None:
        session.execute(text(insert_sql), {"s": series, "y": year})
        value = session.execute(
            _INCREMENT,
            {"s": series, "y": year},
        ).scalar_one()
    return format_number(series, year, value)
