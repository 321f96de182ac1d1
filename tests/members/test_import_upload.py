"""The administrators' import page: a preview that writes nothing, then the confirmed import."""

from __future__ import annotations

import io
import re

from app.auth.roles import Role

from .helpers import Member, School, annuaire_csv, annuaire_row, count


def upload(client, data: bytes, kind: str = "annuaire"):
    return client.post(
        "/members/import",
        data={"kind": kind, "file": (io.BytesIO(data), "annuaire.csv")},
        content_type="multipart/form-data",
    )


def test_preview_then_confirm(factories, login):
    client = login(factories.user(Role.ADMIN))
    data = annuaire_csv([annuaire_row(), annuaire_row(Identifiant_de_l_etablissement="0501251P")])

    preview = upload(client, data)

    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "<h1>Aperçu de l'import</h1>" in page
    assert "UAI 0501251P invalide" in page
    assert "Écoles\u00a0: 1 créées" in page
    assert count(School) == 0
    action = re.search(r'action="(/members/import/annuaire/[^"]+)"', page).group(1)

    unconfirmed = client.post(action, data={})
    assert "Cochez la case de confirmation" in unconfirmed.get_data(as_text=True)
    assert count(School) == 0

    confirmed = client.post(action, data={"confirm": "y"})
    assert confirmed.status_code == 200
    assert "<h1>Compte rendu d'import</h1>" in confirmed.get_data(as_text=True)
    assert count(School) == 1
    assert count(Member) == 1
    assert client.post(action, data={"confirm": "y"}).status_code == 404


def test_garbage_upload_rejected_on_form(factories, login):
    client = login(factories.user(Role.ADMIN))

    response = upload(client, b"\x00\x01binary")

    page = response.get_data(as_text=True)
    assert "données binaires" in page
    assert 'aria-invalid="true"' in page
    assert count(School) == 0


def test_upload_page_admin_only(factories, login):
    client = login(factories.user(Role.FINANCE))

    assert client.get("/members/import").status_code == 403
    assert client.post("/members/import/annuaire/abcdefghijklmnopqrstuvwxyz", data={"confirm": "y"}).status_code == 403
