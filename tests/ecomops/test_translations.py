"""Every user-facing string has a Chinese translation, and the compiled catalogues match."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    p
    for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po")
    if ".venv" not in p.parts and "var" not in p.parts
)


def test_there_are_catalogues() -> None:
    assert CATALOGUES, "no zh_Hans catalogue found: run `make messages`"


@pytest.mark.parametrize("po_path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete_and_compiled(po_path: Path) -> None:
    po = polib.pofile(str(po_path))
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not untranslated, f"untranslated in {po_path}: {untranslated[:20]}"
    assert not fuzzy, f"fuzzy in {po_path}: {fuzzy[:20]}"

    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path} missing: run `make messages`"
    compiled = {
        (e.msgctxt, e.msgid): (e.msgstr, tuple(e.msgstr_plural.items()))
        for e in polib.mofile(str(mo_path))
    }
    for entry in po.translated_entries():
        key = (entry.msgctxt, entry.msgid)
        assert key in compiled, f"{entry.msgid!r} is not compiled in {mo_path}: run `make messages`"
        assert compiled[key][0] == entry.msgstr, f"{entry.msgid!r} is stale in {mo_path}"
