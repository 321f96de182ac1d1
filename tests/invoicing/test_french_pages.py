"""Every page each role reaches from the home page reads French: no common English word shows.

The walk starts at the home page and follows each page's links, leaving out downloads and the
language switch. It runs for a buyer, an approver, a catalogue manager, finance and an
administrator. The data fills the lists: orders in several states, an invoice and its credit
note, pooled tiers, an audit trail and queued e-mails.
"""

from __future__ import annotations

import re
from collections import deque
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from app.auth.roles import Role
from app.extensions import db
from catalog import prices
from catalog.models import TierMode
from catalog.pricing import Tier
from invoicing import services as invoicing_services
from orders import services as order_services
from tests.orders.conftest import login_client

# Common English words and phrases that a French page never shows, matched case-sensitively
# as whole words. The test data uses French names only, so any match is interface text.
ENGLISH_PHRASES = (
    "the", "The", "Order", "Orders", "Invoice", "Invoices", "must", "approval", "Approval",
    "Standard rate", "Exempt", "Zero rate", "Cart", "Submit", "Save", "Cancel", "Delete",
    "Download", "Search", "Price", "Amount", "Status", "School", "Member", "Supplier",
    "Contract", "Product", "Products", "Catalog", "Report", "Reports", "Payment",
    "Credit note", "Draft", "Issued", "Paid", "Approved", "Rejected", "Submitted", "Pending",
    "Logout", "Log out", "Settings", "Home", "Next", "Previous", "Back", "none", "None",
    "True", "False", "and", "with", "from", "per", "of", "to", "is", "are", "for",
)
ENGLISH_PATTERN = re.compile(r"(?<![\w@./-])(" + "|".join(re.escape(p) for p in ENGLISH_PHRASES) + r")(?![\w@.-])")
SKIPPED_LINKS = re.compile(r"logout|/language/|\.(pdf|csv|xlsx|xml|zip)$|/export|/download|^/static/")
MAX_PAGES_PER_ROLE = 120
# Pages that no menu links to yet, visited besides the home page; a role without access gets 403.
UNLINKED_PAGES = ("/subscriptions", "/approval-rules")


class VisibleText(HTMLParser):
    """Collect the text a reader sees (outside script and style) and the page's links."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "code"):
            self._hidden_depth += 1
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        for name in ("aria-label", "title", "placeholder", "alt"):
            if attributes.get(name):
                self.parts.append(attributes[name])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "code") and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data):
        if not self._hidden_depth:
            self.parts.append(data)


def english_words(text: str) -> list[str]:
    return sorted({match.group(1) for match in ENGLISH_PATTERN.finditer(text)})


def walk(client) -> dict[str, list[str]]:
    """Visit the pages reachable from the home page; return {path: English words found}."""
    starts = ["/", *UNLINKED_PAGES]
    seen, found = set(starts), {}
    queue = deque(starts)
    while queue and len(seen) <= MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        response = client.get(path, follow_redirects=True)
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        parser = VisibleText()
        parser.feed(response.get_data(as_text=True))
        words = english_words(" ".join(parser.parts))
        if words:
            found[path] = words
        for href in parser.links:
            link = urldefrag(href)[0]
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not link.startswith("/") or SKIPPED_LINKS.search(parts.path):
                continue
            if link not in seen:
                seen.add(link)
                queue.append(link)
    assert len(seen) > 5, "the walk reached almost no page"
    return found


@pytest.fixture
def filled_platform(factories, invoicing_data, finance_user):
    """A member with orders in each state, an invoice, a credit note, tiers and an audit trail."""
    member = invoicing_data.member(name="Commune de Valognes")
    school = factories.school(member=member, name="École du Château", pupils=140, classes=6)
    buyer = factories.user(Role.BUYER, member=member)
    approver = factories.user(Role.APPROVER, member=member)
    manager = factories.user(Role.CATALOG_MANAGER)
    admin = factories.user(Role.ADMIN)
    tablet = factories.product(unit_price="250.00", unit="item", name="Tablette éducative")
    training = factories.product(unit_price="600.00", unit="training_day", name="Formation ENT",
                                 vat_category="E", vat_rate=Decimal("0"),
                                 vat_exemption_reason="Exonération de TVA, article 261-4-4° a du CGI")
    prices.set_tiers(tablet, TierMode.VOLUME, [Tier(1, Decimal("250.00")), Tier(50, Decimal("220.00"))],
                     user_id=manager.id)

    order_services.add_to_cart(buyer, school, tablet, Decimal("2"), date.today())
    cart = order_services.find_cart(buyer, school)
    order_services.submit_order(cart, buyer, cart.submission_token)
    order_services.add_to_cart(buyer, school, training, Decimal("1.5"), date.today())

    approved = invoicing_data.approved_order(member, lines=(("20.00", "3", "12.50"), ("0", "1", "300.00")))
    [draft] = invoicing_services.create_invoice_drafts([approved], grouping="order", actor=finance_user)
    invoice = invoicing_services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))
    invoicing_services.create_credit_note(invoice, finance_user)
    db.session.flush()
    return {
        Role.BUYER: buyer,
        Role.APPROVER: approver,
        Role.CATALOG_MANAGER: manager,
        Role.FINANCE: finance_user,
        Role.ADMIN: admin,
    }


@pytest.mark.parametrize("role", [Role.BUYER, Role.APPROVER, Role.CATALOG_MANAGER, Role.FINANCE, Role.ADMIN])
def test_pages_show_no_english(app, filled_platform, role):
    client = login_client(app, filled_platform[role])

    found = walk(client)

    assert found == {}, "\n".join(f"{path}: {', '.join(words)}" for path, words in sorted(found.items()))
