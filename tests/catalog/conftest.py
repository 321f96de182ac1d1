"""Catalogue fixtures: a fixed today, users of each role and a small priced catalogue."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from app import timeutils
from app.auth.roles import Role

TODAY = date(2026, 12, 4)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    """Pin today to 04/12/2026 in Europe/Paris, so contract and price dates give stable results."""
    monkeypatch.setattr(timeutils, "utcnow", lambda: datetime(2026, 12, 4, 10, 0, tzinfo=timezone.utc))
    return TODAY


@pytest.fixture
def manager(factories):
    return factories.user(Role.CATALOG_MANAGER, full_name="Gestionnaire Catalogue")


@pytest.fixture
def admin(factories):
    return factories.user(Role.ADMIN)


@pytest.fixture
def buyer(factories):
    member = factories.member(name="Commune de Saint-Lô")
    factories.school(member, name="École Jules Ferry")
    return factories.user(Role.BUYER, member=member)
