"""Notification fixtures: a real SMTP server on 127.0.0.1 (aiosmtpd) and SMTP delivery settings."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from app import timeutils

# A test client logged in as a given user, from the orders suite.
from ..orders.conftest import client_for  # noqa: F401

# 10 March 2026, 11:00 in Paris.
FIXED_NOW = datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc)


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that keeps every accepted message, or refuses them with ``refusal``."""

    refusal: str | None = None
    messages: list[EmailMessage] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refusal:
                self.refused += 1
                return self.refusal
            message = message_from_bytes(envelope.content, policy=policy.default)
            message.envelope_recipients = list(envelope.rcpt_tos)
            self.messages.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class SmtpServer:
    handler: RecordingHandler
    controller: Controller
    port: int

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def refuse(self, reply: str | None) -> None:
        self.handler.refusal = reply

    def stop(self) -> None:
        self.controller.stop()

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()


@pytest.fixture
def smtp_server(app, monkeypatch):
    """Start an SMTP server on a free local port and point MAIL_* at it with MAIL_DELIVERY=smtp."""
    handler = RecordingHandler()
    port = free_port()
    server = SmtpServer(handler=handler, controller=Controller(handler, hostname="127.0.0.1", port=port), port=port)
    server.controller.start()
    monkeypatch.setitem(app.config, "MAIL_DELIVERY", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    monkeypatch.setitem(app.config, "MAIL_USERNAME", None)
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "Manche Numérique <centrale@demo.centrale.test>")
    yield server
    try:
        server.controller.stop()
    except (AssertionError, RuntimeError):
        pass  # already stopped by the test


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr(timeutils, "utcnow", lambda: FIXED_NOW)
    return FIXED_NOW


def body_text(message: EmailMessage) -> str:
    """Return the plain-text part, with French non-breaking spaces turned into spaces."""
    return message.get_body(preferencelist=("plain",)).get_content().replace("\u202f", " ").replace("\u00a0", " ")


def body_html(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content().replace("\u202f", " ").replace("\u00a0", " ")


@dataclass
class MemberSetup:
    member: object
    school: object
    buyer: object
    approver: object
    second_approver: object


@pytest.fixture
def member_setup(factories, fixed_clock) -> MemberSetup:
    """A member with a finance e-mail, one school (120 pupils, 5 classes), a buyer and two approvers."""
    from app.auth.roles import Role

    member = factories.member(name="Commune de Saint-Lô test", finance_email="finances@saint-lo.test")
    school = factories.school(member=member, name="École du Bourg", pupils=120, classes=5)
    buyer = factories.user(Role.BUYER, member=member, full_name="Alice Acheteuse", email="alice@saint-lo.test")
    approver = factories.user(Role.APPROVER, member=member, full_name="Victor Valideur", email="victor@saint-lo.test")
    second = factories.user(Role.APPROVER, member=member, full_name="Valérie Seconde", email="valerie@saint-lo.test")
    return MemberSetup(member=member, school=school, buyer=buyer, approver=approver, second_approver=second)


def submitted_order(buyer, school, product, quantity: str):
    """Put ``quantity`` of ``product`` in the buyer's cart for ``school`` and submit it."""
    from decimal import Decimal

    from orders import services

    services.add_to_cart(buyer, school, product, Decimal(quantity), timeutils.today_paris())
    order = services.find_cart(buyer, school)
    services.submit_order(order, buyer, order.submission_token)
    return order


def outbox_rows(kind: str | None = None):
    from sqlalchemy import select

    from app.extensions import db
    from app.mail import OutboxEmail

    query = select(OutboxEmail).order_by(OutboxEmail.id)
    if kind:
        query = query.where(OutboxEmail.kind == kind)
    return list(db.session.scalars(query))
