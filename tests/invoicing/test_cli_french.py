"""The invoicing CLI prints French messages, with singular counts and French date errors."""

from __future__ import annotations


def test_export_of_no_document_and_bad_dates(app, tmp_path):
    runner = app.test_cli_runner()
    output = tmp_path / "export.csv"

    exported = runner.invoke(args=["invoicing", "export", "--from", "2026-01-01", "--to", "2026-12-31", "-o", str(output)])
    bad_date = runner.invoke(args=["invoicing", "export", "--from", "01/01/2026", "--to", "2026-12-31", "-o", str(output)])
    reversed_days = runner.invoke(args=["invoicing", "export", "--from", "2026-12-31", "--to", "2026-01-01", "-o", str(output)])

    assert exported.exit_code == 0, exported.output
    assert f"0 document exporté dans {output}." in exported.output
    assert bad_date.exit_code == 2
    assert "'01/01/2026' n'est pas une date : écrivez-la sous la forme 2026-01-31." in bad_date.output
    assert reversed_days.exit_code == 2
    assert "Le dernier jour précède le premier" in reversed_days.output
