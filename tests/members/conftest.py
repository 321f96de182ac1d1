"""Fixtures of the member tests: files to import and the flask command runner."""

from __future__ import annotations

import pytest


@pytest.fixture
def write_file(tmp_path):
    """Write bytes to a file under tmp_path and return its path as a string."""

    def write(data: bytes, name: str = "import.csv") -> str:
        path = tmp_path / name
        path.write_bytes(data)
        return str(path)

    return write


@pytest.fixture
def run_cli(app):
    """Invoke a flask command through click's test runner and return the result."""
    runner = app.test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=list(args))

    return run
