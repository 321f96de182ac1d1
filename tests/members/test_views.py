"""Member and school pages: access per role and member, edits, and the values an invalid form keeps."""

from __future__ import annotations

import html
import re

import pytest

from app.auth.roles import Role
from app.errors import NotFound
from app.extensions import db
from members.models import Member, School
from members.services import get_school_for_user, schools_for_user


@pytest.fixture
def two_members(factories):
    """Two communes, each with one open school; A also has a closed one."""
    member_a = factories.member(name="Commune Alpha")
    member_b = factories.member(name="Commune Bravo")
    school_a = factories.school(member=member_a, name="École Alpha")
    closed_a = factories.school(member=member_a, name="École Alpha fermée", is_open=False)
    school_b = factories.school(member=member_b, name="École Bravo")
    return member_a, member_b, school_a, closed_a, school_b


def test_schools_for_user_own_open_schools(factories, two_members):
    member_a, _member_b, school_a, _closed_a, _school_b = two_members
    buyer = factories.user(Role.BUYER, member=member_a)

    assert schools_for_user(buyer) == [school_a]
    assert schools_for_user(factories.user(Role.ADMIN)) == []


def test_get_school_for_user_other_member(factories, two_members):
    member_a, _member_b, school_a, _closed_a, school_b = two_members
    buyer = factories.user(Role.BUYER, member=member_a)

    assert get_school_for_user(buyer, school_a.id) is school_a
    with pytest.raises(NotFound):
        get_school_for_user(buyer, school_b.id)
    with pytest.raises(NotFound):
        get_school_for_user(buyer, 999999)


def test_buyer_gets_404_for_other_member(factories, login, two_members):
    member_a, member_b, school_a, _closed_a, school_b = two_members
    client = login(factories.user(Role.BUYER, member=member_a))

    assert client.get(f"/members/{member_b.id}").status_code == 404
    assert client.get(f"/schools/{school_b.id}").status_code == 404
    assert client.get(f"/schools/{school_b.id}/counts").status_code == 404
    assert client.post(f"/schools/{school_b.id}/counts", data={"school_year": 2025, "pupils": 1}).status_code == 404
    assert client.get(f"/members/{member_a.id}").status_code == 200
    assert client.get(f"/schools/{school_a.id}").status_code == 200


def test_my_member_shows_only_own_rows(factories, login, two_members):
    member_a, _member_b, _school_a, _closed_a, _school_b = two_members
    client = login(factories.user(Role.APPROVER, member=member_a))

    page = client.get("/my-member").get_data(as_text=True)

    assert "<h1>Commune Alpha</h1>" in page
    assert "École Alpha" in page
    assert "École Bravo" not in page
    assert "Commune Bravo" not in page
    assert "SIRET à compléter" in page


def test_member_list_closed_to_member_side(factories, login, two_members):
    member_a = two_members[0]
    client = login(factories.user(Role.BUYER, member=member_a))

    assert client.get("/members").status_code == 403


def test_buyer_edit_post_forbidden(factories, login, two_members):
    member_a = two_members[0]
    client = login(factories.user(Role.BUYER, member=member_a))

    response = client.post(
        f"/members/{member_a.id}/edit",
        data={"billing_siret": "", "chorus_requirement": "none", "membership_status": "left", "city": "Ailleurs"},
    )

    assert response.status_code == 403
    db.session.expire_all()
    member = db.session.get(Member, member_a.id)
    assert member.membership_status == "active"
    assert member.city == ""


def test_catalog_manager_cannot_edit(factories, login, two_members):
    member_a, _member_b, school_a, _closed_a, _school_b = two_members
    client = login(factories.user(Role.CATALOG_MANAGER))

    assert client.get(f"/members/{member_a.id}").status_code == 200
    assert client.get(f"/members/{member_a.id}/edit").status_code == 403
    assert client.post(f"/schools/{school_a.id}/counts", data={"school_year": 2025, "pupils": 3}).status_code == 403
    assert db.session.get(School, school_a.id).pupils == 120


def test_finance_edit_saves_siret_and_codes(factories, login):
    member = factories.member(siren="215005026", name="Saint-Lô")
    client = login(factories.user(Role.FINANCE))

    response = client.post(
        f"/members/{member.id}/edit",
        data={
            "billing_siret": "215 005 026 00012",
            "address_line1": "Place Général de Gaulle",
            "postcode": "50000",
            "city": "Saint-Lô",
            "chorus_requirement": "service_code",
            "new_service_code": "ECOLES",
            "new_service_label": "Service des écoles",
            "finance_email": "finances@saint-lo.fr",
            "membership_status": "active",
        },
    )

    assert response.status_code == 302
    db.session.expire_all()
    member = db.session.get(Member, member.id)
    assert member.billing_siret == "21500502600012"
    assert member.chorus_requirement == "service_code"
    assert [code.code for code in member.active_service_codes] == ["ECOLES"]
    assert member.finance_email == "finances@saint-lo.fr"


def test_edit_deactivates_unticked_code(factories, login):
    from members.models import ServiceCode

    member = factories.member(name="Commune codes")
    member.service_codes.append(ServiceCode(code="ANCIEN", label="Ancien service"))
    member.service_codes.append(ServiceCode(code="ECOLES", label="Écoles"))
    db.session.flush()
    keep = next(code for code in member.service_codes if code.code == "ECOLES")
    client = login(factories.user(Role.ADMIN))

    client.post(
        f"/members/{member.id}/edit",
        data={"chorus_requirement": "either", "membership_status": "active", "active_codes": [str(keep.id)]},
    )

    db.session.expire_all()
    states = {code.code: code.is_active for code in db.session.get(Member, member.id).service_codes}
    assert states == {"ANCIEN": False, "ECOLES": True}


def test_edit_bad_siret_keeps_typed_values(factories, login):
    member = factories.member(siren="215005026", name="Saint-Lô")
    client = login(factories.user(Role.ADMIN))

    response = client.post(
        f"/members/{member.id}/edit",
        data={
            "billing_siret": "21140001500015",
            "address_line1": "Place Général de Gaulle",
            "city": "Saint-Lô",
            "chorus_requirement": "none",
            "membership_status": "active",
        },
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "n&#39;appartient pas au SIREN 215005026" in page
    assert 'value="21140001500015"' in page
    assert 'value="Place Général de Gaulle"' in page
    db.session.expire_all()
    assert db.session.get(Member, member.id).billing_siret is None
    assert db.session.get(Member, member.id).address_line1 == ""


def test_edit_service_code_requirement_needs_code(factories, login):
    member = factories.member(name="Commune sans code")
    client = login(factories.user(Role.ADMIN))

    response = client.post(
        f"/members/{member.id}/edit",
        data={"chorus_requirement": "both", "membership_status": "active"},
    )

    assert "demande un code service" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Member, member.id).chorus_requirement == "none"


def test_buyer_updates_own_school_counts(factories, login, two_members):
    member_a, _member_b, school_a, _closed_a, _school_b = two_members
    client = login(factories.user(Role.BUYER, member=member_a))

    response = client.post(
        f"/schools/{school_a.id}/counts", data={"school_year": "2025", "pupils": "131", "classes": "6"}
    )

    assert response.status_code == 302
    db.session.expire_all()
    school = db.session.get(School, school_a.id)
    assert (school.pupils, school.classes, school.counts_school_year) == (131, 6, 2025)


def test_counts_more_classes_than_pupils_rejected(factories, login, two_members):
    member_a, _member_b, school_a, _closed_a, _school_b = two_members
    client = login(factories.user(Role.BUYER, member=member_a))

    response = client.post(
        f"/schools/{school_a.id}/counts", data={"school_year": "2025", "pupils": "3", "classes": "5"}
    )

    assert "plus de classes que d&#39;élèves" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(School, school_a.id).pupils == 120


def test_member_list_search_and_filters(factories, login):
    factories.member(siren="215005026", name="Saint-Lô", city="Saint-Lô")
    factories.member(siren="211400015", name="Ablon", billing_siret="21140001500015")
    factories.member(siren="200066389", name="CA Saint-Lô Agglo", kind="epci")
    client = login(factories.user(Role.CATALOG_MANAGER))

    by_name = client.get("/members?q=saint-l").get_data(as_text=True)
    by_siren = client.get("/members?q=211400015").get_data(as_text=True)
    epci_only = client.get("/members?kind=epci&q=saint").get_data(as_text=True)
    to_complete = client.get("/members?siret_missing=1&q=ablon").get_data(as_text=True)

    assert "Saint-Lô</a>" in by_name
    assert "CA Saint-Lô Agglo</a>" in by_name
    assert "Ablon</a>" not in by_name
    assert "Ablon</a>" in by_siren
    assert "21140001500015" in by_siren
    assert "CA Saint-Lô Agglo</a>" in epci_only
    assert ">Saint-Lô</a>" not in epci_only
    assert "Aucun adhérent ne correspond" in to_complete


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pupils", "abc", "Élèves : « abc » n’est pas un nombre entier : saisissez des chiffres uniquement, par exemple 12."),
        ("pupils", "9" * 30, "Élèves : 999" + "\u202f999" * 9 + " est trop grand : 2\u202f147\u202f483\u202f647 au plus."),
        ("pupils", "12,5", "Élèves : 12,5 n’est pas un nombre entier : saisissez un nombre sans décimales."),
        ("classes", "-1", "Classes : -1 est négatif : saisissez un nombre positif."),
    ],
)
def test_bad_school_count_gives_one_error(factories, login, two_members, field, value, message):
    member_a, _member_b, school_a, _closed_a, _school_b = two_members
    client = login(factories.user(Role.BUYER, member=member_a))
    data = {"school_year": "2025", "pupils": "131", "classes": "6", field: value}

    response = client.post(f"/schools/{school_a.id}/counts", data=data)

    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert message in page
    assert f'value="{value}"' in page
    errors = re.findall(r'<small id="[a-z_]+-error" class="field-error">([^<]*)</small>', page)
    assert errors == [message]
    assert "Not a valid integer" not in page
    assert "0 ou plus" not in page
    db.session.expire_all()
    assert db.session.get(School, school_a.id).pupils == 120
