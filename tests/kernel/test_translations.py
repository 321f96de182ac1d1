"""Every French catalogue in the tree is complete, has no fuzzy entry and compiles."""

from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(PROJECT_ROOT.glob("*/translations/fr/LC_MESSAGES/messages.po"))


def catalogue_id(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT))


def load(path: Path):
    with path.open("rb") as handle:
        return read_po(handle, locale="fr")


def test_kernel_catalogue_exists():
    assert PROJECT_ROOT / "app/translations/fr/LC_MESSAGES/messages.po" in CATALOGUES


@pytest.mark.parametrize("path", CATALOGUES, ids=catalogue_id)
def test_no_empty_translation(path):
    untranslated = []
    for message in load(path):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)

    assert untranslated == []


@pytest.mark.parametrize("path", CATALOGUES, ids=catalogue_id)
def test_no_fuzzy_entry(path):
    fuzzy = [message.id for message in load(path) if message.id and message.fuzzy]

    assert fuzzy == []


@pytest.mark.parametrize("path", CATALOGUES, ids=catalogue_id)
def test_placeholders_match(path):
    # Babel's checks compare the %(name)s placeholders of msgid and msgstr.
    problems = [(message.id, [str(error) for error in errors]) for message, errors in load(path).check()]

    assert problems == []


@pytest.mark.parametrize("path", CATALOGUES, ids=catalogue_id)
def test_catalogue_compiles(path):
    catalogue = load(path)
    compiled = BytesIO()

    write_mo(compiled, catalogue)

    compiled.seek(0)
    translated = [message for message in catalogue if message.id and message.string]
    assert len(read_mo(compiled)) == len(translated)


def test_translation_directories_cover_every_catalogue(app):
    folders = set(app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";"))

    for path in CATALOGUES:
        assert str(path.parents[2]) in folders
