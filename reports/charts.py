"""Chart specifications for the report pages: static/js/reports.js draws them with Chart.js.

Each chart carries its figures twice: as numbers for the canvas and as the rows of the data
table printed under it, so that screen-reader users and printouts get the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

from .services import CampaignReport, Dashboard, GroupFigures, MemberReport


@dataclass
class Chart:
    """One chart: its canvas id, its caption, and the series it draws."""

    chart_id: str
    title: str
    kind: str  # a Chart.js chart type: bar or line
    labels: list[str]
    series: list[tuple[str, list[Decimal]]] = field(default_factory=list)

    def config(self) -> dict:
        """Return the JSON that reports.js reads; floats are used for drawing only."""
        return {
            "type": self.kind,
            "labels": self.labels,
            "datasets": [{"label": name, "data": [float(value) for value in values]} for name, values in self.series],
        }

    @property
    def rows(self) -> list[tuple[str, list[Decimal]]]:
        return [(label, [values[index] for _, values in self.series]) for index, label in enumerate(self.labels)]


def _spend_and_savings_chart(chart_id: str, title: str, kind: str, groups: list[GroupFigures]) -> Chart:
    return Chart(
        chart_id,
        title,
        kind,
        [group.label for group in groups],
        [
            (_("Amount excl. VAT"), [group.spend for group in groups]),
            (_("Savings excl. VAT"), [group.savings for group in groups]),
        ],
    )


def dashboard_charts(board: Dashboard) -> list[Chart]:
    return [
        _spend_and_savings_chart("chart-months", _("Spend and savings per month"), "line", board.months),
        _spend_and_savings_chart("chart-top-products", _("Top products by spend"), "bar", board.top_products),
    ]


def campaign_charts(report: CampaignReport) -> list[Chart]:
    return [
        Chart(
            "chart-products",
            _("Amount and savings per product"),
            "bar",
            [row.reference for row in report.products],
            [
                (_("Amount excl. VAT"), [row.spend for row in report.products]),
                (_("Savings excl. VAT"), [row.savings for row in report.products]),
            ],
        ),
        Chart(
            "chart-members",
            _("Savings per member"),
            "bar",
            [row.name for row in report.members],
            [(_("Savings excl. VAT"), [row.savings for row in report.members])],
        ),
    ]


def member_charts(report: MemberReport) -> list[Chart]:
    return [
        _spend_and_savings_chart("chart-months", _("Spend and savings per month"), "bar", report.months),
        _spend_and_savings_chart("chart-categories", _("Spend and savings per category"), "bar", report.categories),
    ]
