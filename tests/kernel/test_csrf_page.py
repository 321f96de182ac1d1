"""A failed CSRF check explains in French that the form expired."""

from __future__ import annotations

from html import unescape


def test_expired_form_explains_reload(app, client, factories, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    user = factories.user("buyer", member=factories.member())

    response = client.post("/login", data={"email": user.email, "password": "x", "csrf_token": "expired-token"})

    page = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "Le formulaire a expiré : rechargez la page et envoyez-le à nouveau." in page
    assert "<h1>Requête invalide (400)</h1>" in page
