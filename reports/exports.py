"""Report downloads: CSV for French Excel, XLSX with real numbers, and PDF.

CSV: semicolon separator, UTF-8 with a byte order mark, decimal comma, and a text cell that
starts with = + - @ (or a tab or carriage return) prefixed with an apostrophe, so a
spreadsheet never runs it as a formula. Numbers are written by this module and never
neutralised, so a negative amount stays a number.
"""

from __future__ import annotations

import csv
import enum
import io
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from app.formatting import format_day
from app.pdf import render_pdf
from app.timeutils import today_paris

from .services import CampaignReport, MemberReport

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXPORT_FORMATS = ("csv", "xlsx", "pdf")
MEDIA_TYPES = {
    # Werkzeug adds "; charset=utf-8" to text/* types itself.
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class Kind(str, enum.Enum):
    """Kind of a column's values, with its Excel number format for XLSX."""

    TEXT = "@"
    COUNT = "#,##0"
    QUANTITY = "#,##0.###"
    MONEY = '#,##0.00" €"'
    UNIT_PRICE = '#,##0.00##" €"'
    PERCENT = '0.0" %"'


@dataclass
class Section:
    """One table of an export: a sheet in XLSX, a titled block in CSV."""

    title: str
    headers: list[str]
    kinds: list[Kind]
    rows: list[list] = field(default_factory=list)


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_csv(sections: list[Section]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for index, section in enumerate(sections):
        if index:
            writer.writerow([])
        writer.writerow([csv_cell(section.title)])
        writer.writerow([csv_cell(header) for header in section.headers])
        for row in section.rows:
            writer.writerow([csv_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def _sheet_title(title: str, used: set[str]) -> str:
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title)[:31]
    candidate, number = cleaned, 2
    while candidate in used:
        suffix = f" {number}"
        candidate, number = cleaned[: 31 - len(suffix)] + suffix, number + 1
    used.add(candidate)
    return candidate


def write_xlsx(sections: list[Section]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for section in sections:
        sheet = workbook.create_sheet(_sheet_title(section.title, used))
        sheet.append(section.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append([value if value is not None else "" for value in row])
        for column, kind in enumerate(section.kinds, start=1):
            width = max([len(str(section.headers[column - 1]))] + [len(str(row[column - 1])) for row in section.rows])
            sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = min(width + 4, 60)
            if kind == Kind.TEXT:
                continue
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = kind.value
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Campaign report ----------------------------------------------------------------------


def campaign_sections(report: CampaignReport) -> list[Section]:
    campaign = report.campaign
    summary = Section(
        _("Summary"),
        [_("Item"), _("Value")],
        [Kind.TEXT, Kind.TEXT],
        [
            [_("Campaign"), campaign.name],
            [_("School year"), campaign.school_year_label],
            [_("Status"), campaign.status_label],
            [_("Ordering window"), f"{format_day(campaign.opens_on)} – {format_day(campaign.closes_on)}"],
            [_("Prices"), _("final") if report.is_final else _("provisional")],
            [_("Members"), report.member_count],
            [_("Schools"), report.school_count],
            [_("Pupils"), report.pupil_count],
            [_("Classes"), report.class_count],
            [_("Orders"), report.order_count],
            [_("Amount at list prices excl. VAT"), report.list_amount],
            [_("Amount excl. VAT"), report.spend],
            [_("Savings excl. VAT"), report.savings],
            [_("Shared costs excl. VAT"), report.shared_costs],
        ],
    )
    products = Section(
        _("Products"),
        [
            _("Reference"),
            _("Product"),
            _("Unit"),
            _("Pooled quantity"),
            _("Tier reached (from)"),
            _("List unit price excl. VAT"),
            _("Final unit price excl. VAT") if report.is_final else _("Current unit price excl. VAT"),
            _("Amount excl. VAT"),
            _("Savings excl. VAT"),
        ],
        [Kind.TEXT, Kind.TEXT, Kind.TEXT, Kind.QUANTITY, Kind.COUNT, Kind.UNIT_PRICE, Kind.UNIT_PRICE, Kind.MONEY, Kind.MONEY],
        [
            [row.reference, row.name, row.unit_label, row.quantity, row.tier_from, row.list_unit_price,
             row.unit_price, row.spend, row.savings]
            for row in report.products
        ],
    )
    members = Section(
        _("Members"),
        [
            _("Member"),
            _("SIREN"),
            _("Schools"),
            _("Classes"),
            _("Pupils"),
            _("Amount excl. VAT"),
            _("Savings excl. VAT"),
            _("Shared costs excl. VAT"),
            _("Settlement excl. VAT"),
        ],
        [Kind.TEXT, Kind.TEXT, Kind.COUNT, Kind.COUNT, Kind.COUNT, Kind.MONEY, Kind.MONEY, Kind.MONEY, Kind.MONEY],
        [
            [row.name, row.siren, row.schools, row.classes, row.pupils, row.spend, row.savings,
             row.cost_shares, row.settlement_net]
            for row in report.members
        ],
    )
    allocation = Section(
        _("Shared costs"),
        [_("Cost"), _("Cost amount excl. VAT"), _("Allocation key"), _("Member"), _("SIREN"), _("Base"), _("Share excl. VAT")],
        [Kind.TEXT, Kind.MONEY, Kind.TEXT, Kind.TEXT, Kind.TEXT, Kind.COUNT, Kind.MONEY],
        [
            [cost.label, cost.amount, cost.allocation_key_label, share.member_name, share.siren, share.base, share.amount]
            for cost in report.allocations
            for share in cost.shares
        ],
    )
    return [summary, products, members, allocation]


# --- Member report ------------------------------------------------------------------------


def member_sections(report: MemberReport) -> list[Section]:
    member = report.member
    summary_rows = [
        [_("Member"), member.name],
        [_("SIREN"), member.siren],
        [_("Campaign"), report.campaign.name if report.campaign else _("All orders")],
        [_("Amount at list prices excl. VAT"), report.list_amount],
        [_("Amount excl. VAT"), report.spend],
        [_("Savings excl. VAT"), report.savings],
        [_("Savings rate (%)"), report.savings_rate],
        [_("Pupils"), report.pupils],
        [_("Classes"), report.classes],
        [_("Cost per pupil excl. VAT"), report.cost_per_pupil],
        [_("Cost per class excl. VAT"), report.cost_per_class],
    ]
    if report.campaign is not None:
        summary_rows += [
            [_("Shared costs excl. VAT"), report.shared_costs],
            [_("Settlement excl. VAT"), report.settlement_net],
        ]
    summary = Section(_("Summary"), [_("Item"), _("Value")], [Kind.TEXT, Kind.TEXT], summary_rows)
    schools = Section(
        _("Schools"),
        [_("UAI"), _("School"), _("Pupils"), _("Classes"), _("Amount excl. VAT"), _("Savings excl. VAT"),
         _("Cost per pupil excl. VAT"), _("Cost per class excl. VAT")],
        [Kind.TEXT, Kind.TEXT, Kind.COUNT, Kind.COUNT, Kind.MONEY, Kind.MONEY, Kind.MONEY, Kind.MONEY],
        [
            [row.uai, row.name, row.pupils, row.classes, row.spend, row.savings, row.cost_per_pupil, row.cost_per_class]
            for row in report.schools
        ],
    )
    categories = Section(
        _("Categories"),
        [_("Category"), _("Amount excl. VAT"), _("Savings excl. VAT")],
        [Kind.TEXT, Kind.MONEY, Kind.MONEY],
        [[row.label, row.spend, row.savings] for row in report.categories],
    )
    months = Section(
        _("Months"),
        [_("Month"), _("Amount excl. VAT"), _("Savings excl. VAT")],
        [Kind.TEXT, Kind.MONEY, Kind.MONEY],
        [[row.label, row.spend, row.savings] for row in report.months],
    )
    sections = [summary, schools, categories, months]
    if report.campaign is not None:
        sections.append(
            Section(
                _("Shared costs"),
                [_("Cost"), _("Share excl. VAT")],
                [Kind.TEXT, Kind.MONEY],
                [[label, amount] for label, amount in report.cost_shares],
            )
        )
        sections.append(
            Section(
                _("Settlements"),
                [_("Order"), _("Kind"), _("VAT rate (%)"), _("Provisional excl. VAT"), _("Final excl. VAT"),
                 _("Difference excl. VAT"), _("Difference VAT")],
                [Kind.TEXT, Kind.TEXT, Kind.QUANTITY, Kind.MONEY, Kind.MONEY, Kind.MONEY, Kind.MONEY],
                [
                    [row.order.number or str(row.order_id), row.kind_label, row.vat_rate, row.provisional_net,
                     row.final_net, row.difference_net, row.difference_vat]
                    for row in report.settlements
                ],
            )
        )
    return sections


# --- Files --------------------------------------------------------------------------------


def export_campaign(report: CampaignReport, file_format: str) -> bytes:
    """Return the campaign report as CSV, XLSX or PDF bytes."""
    if file_format == "pdf":
        return render_pdf("reports/campaign_pdf.html", report=report)
    return _write(campaign_sections(report), file_format)


def export_member(report: MemberReport, file_format: str) -> bytes:
    """Return the member report as CSV, XLSX, or the one-page PDF savings annex."""
    if file_format == "pdf":
        return render_pdf("reports/member_annex_pdf.html", report=report, today=today_paris())
    return _write(member_sections(report), file_format)


def _write(sections: list[Section], file_format: str) -> bytes:
    if file_format == "csv":
        return write_csv(sections)
    if file_format == "xlsx":
        return write_xlsx(sections)
    raise ValueError(f"unknown export format {file_format!r}: use csv, xlsx or pdf")


def export_filename(stem: str, file_format: str) -> str:
    safe = "".join(char if char.isalnum() or char in "-_" else "-" for char in stem).strip("-")
    return f"{safe or 'rapport'}.{file_format}"
