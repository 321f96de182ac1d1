"""Invoice totals to the cent, half-up ties, and credit notes that mirror their invoice."""

from datetime import date
from decimal import Decimal

from invoicing import services

# (VAT rate, quantity, unit price): 1 x 0.125 rounds up to 0.13; the 10 % base 200.25 gives
# 20.025 of VAT and the 5.5 % base 11.00 gives 0.605, both ties that round half-up.
MIXED_LINES = (
    ("20.00", "3", "12.50"),
    ("20.00", "1", "0.125"),
    ("10.00", "2", "100.00"),
    ("10.00", "1", "0.25"),
    ("5.50", "2", "5.50"),
    ("0", "1", "300.00"),
)


def issue_mixed_invoice(invoicing_data, finance_user):
    order = invoicing_data.approved_order(lines=MIXED_LINES)
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    return services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))


def test_mixed_rates_totals_to_the_cent(invoicing_data, finance_user):
    invoice = issue_mixed_invoice(invoicing_data, finance_user)

    assert [line.net_amount for line in invoice.lines] == [
        Decimal("37.50"), Decimal("0.13"), Decimal("200.00"), Decimal("0.25"), Decimal("11.00"), Decimal("300.00")
    ]
    breakdown = {(row.vat_category, row.vat_rate): (row.base_amount, row.vat_amount) for row in invoice.totals().breakdown}
    assert breakdown[("S", Decimal("20.00"))] == (Decimal("37.63"), Decimal("7.53"))
    assert breakdown[("S", Decimal("10.00"))] == (Decimal("200.25"), Decimal("20.03"))
    assert breakdown[("S", Decimal("5.50"))] == (Decimal("11.00"), Decimal("0.61"))
    assert breakdown[("E", Decimal("0.00"))] == (Decimal("300.00"), Decimal("0.00"))
    assert invoice.net_amount == Decimal("548.88")
    assert invoice.vat_amount == Decimal("28.17")
    assert invoice.gross_amount == Decimal("577.05")
    assert invoice.number == "FA-2026-00001"
    assert invoice.due_date == date(2026, 4, 9)


def test_credit_note_mirrors_invoice(invoicing_data, finance_user):
    invoice = issue_mixed_invoice(invoicing_data, finance_user)

    draft = services.create_credit_note(invoice, finance_user)
    credit_note = services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 12))

    assert credit_note.number == "AV-2026-00001"
    assert credit_note.credited_invoice is invoice
    assert [(l.name, l.quantity, l.unit_price, l.net_amount) for l in credit_note.lines] == [
        (l.name, l.quantity, l.unit_price, l.net_amount) for l in invoice.lines
    ]
    assert (credit_note.net_amount, credit_note.vat_amount, credit_note.gross_amount) == (
        invoice.net_amount, invoice.vat_amount, invoice.gross_amount
    )
    assert credit_note.due_date is None
    assert invoice.status == "cancelled"
    assert invoice.balance == Decimal("0.00")


def test_partial_credit_note_lowers_balance(invoicing_data, finance_user):
    order = invoicing_data.approved_order(lines=(("20.00", "4", "10.00"),))
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    invoice = services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))

    credit_draft = services.create_credit_note(invoice, finance_user)
    services.change_draft_line(credit_draft, credit_draft.lines[0].id, quantity=Decimal("1"), unit_price=Decimal("10.00"))
    services.issue_invoice(credit_draft, finance_user, issue_date=date(2026, 3, 11))

    assert credit_draft.gross_amount == Decimal("12.00")
    assert invoice.status == "issued"
    assert invoice.balance == Decimal("36.00")


def test_intermediation_lines_are_not_invoiced(invoicing_data, finance_user):
    order = invoicing_data.approved_order(sales_mode="intermediation")

    assert services.invoiceable_orders() == []
    assert services.create_invoice_drafts([order], grouping="order", actor=finance_user) == []


def test_order_line_invoiced_once(invoicing_data, finance_user):
    order = invoicing_data.approved_order()
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    invoice = services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))

    assert services.create_invoice_drafts([order], grouping="order", actor=finance_user) == []

    credit_note = services.create_credit_note(invoice, finance_user)
    services.issue_invoice(credit_note, finance_user, issue_date=date(2026, 3, 11))
    [again] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    assert [line.order_line_id for line in again.lines] == [line.id for line in order.lines]


def test_grouping_per_member(invoicing_data, finance_user):
    member = invoicing_data.member()
    first = invoicing_data.approved_order(member, lines=(("20.00", "1", "10.00"),))
    second = invoicing_data.approved_order(member, lines=(("5.50", "2", "3.00"),))
    other_reference = invoicing_data.approved_order(member, engagement_number="EJ-2", lines=(("20.00", "1", "1.00"),))

    drafts = services.create_invoice_drafts(
        [first, second, other_reference], grouping="member", actor=finance_user,
        period_start=date(2026, 3, 1), period_end=date(2026, 3, 31),
    )

    assert len(drafts) == 2
    grouped = next(d for d in drafts if d.engagement_number == "")
    assert [line.order_number for line in grouped.lines] == [first.number, second.number]
    assert grouped.net_amount == Decimal("16.00")
    assert grouped.period_start == date(2026, 3, 1)


def test_draft_edit_and_delete(invoicing_data, finance_user):
    order = invoicing_data.approved_order(lines=(("20.00", "1", "10.00"),))
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)

    services.add_free_line(draft, name="Frais de dossier", quantity=Decimal("1"), unit_price=Decimal("5"),
                           vat_category="S", vat_rate=Decimal("20"))
    assert draft.net_amount == Decimal("15.00")
    services.remove_draft_line(draft, draft.lines[0].id)
    assert draft.net_amount == Decimal("5.00")
    assert services.invoiceable_orders()[0].order is order

    services.delete_draft(draft)
    [again] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    assert again.net_amount == Decimal("10.00")
