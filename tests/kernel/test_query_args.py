"""Links rebuilt from a query string keep only the parameters each page reads."""

from __future__ import annotations

import pytest

from app.auth.roles import Role


@pytest.mark.parametrize("query", ["_method=POST", "member_id=86", "_external=1&campagne=3", "_anchor=x&page=2"])
def test_my_report_redirect_ignores_unknown_args(factories, login, query):
    member = factories.member()
    client = login(factories.user(Role.BUYER, member=member))

    response = client.get(f"/rapports/mon-rapport?{query}")

    assert response.status_code == 302
    expected = f"/rapports/adherents/{member.id}" + ("?campagne=3" if "campagne=3" in query else "")
    assert response.headers["Location"] == expected


def test_catalogue_pages_ignore_url_for_keywords(factories, login, monkeypatch):
    monkeypatch.setattr("catalog.views.PRODUCTS_PER_PAGE", 1)
    factories.product(name="Tablette A")
    factories.product(name="Tablette B")
    client = login(factories.user(Role.CATALOG_MANAGER))

    response = client.get("/catalog?_method=POST&_external=1&endpoint=y&q=Tablette")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="/catalog?q=Tablette&amp;page=2"' in page


def test_member_pages_ignore_url_for_keywords(factories, login, monkeypatch):
    monkeypatch.setattr("members.views.MEMBERS_PER_PAGE", 1)
    factories.member(name="Ablon")
    factories.member(name="Agon")
    client = login(factories.user(Role.CATALOG_MANAGER))

    response = client.get("/members?_method=POST&member_id=86&_anchor=x")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'href="/members?page=2"' in page
