"""How a colleague's name is shown (姓名): family name first, on every page and PDF.

Django's ``get_full_name()`` writes "first last" ("芳 王"); a Chinese name reads family
name first with no space ("王芳"), and so does its pinyin ("Wang Fang"). Templates use the
``person`` filter (``{% load people %}``), Python code and PDFs ``person_name``.
"""

from __future__ import annotations

from typing import Any


def _is_wide(text: str) -> bool:
    """True when ``text`` is written in Chinese (or other CJK) characters."""
    return any(
        "\u2e80" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or "\uff00" <= char <= "\uffef"
        for char in text
    )


def person_name(user: Any) -> str:
    """``user``'s name, family name first ("王芳", "Wang Fang"); the username when the
    account has no name; empty for nobody (the system)."""
    if user is None:
        return ""
    family = str(getattr(user, "last_name", "") or "").strip()
    given = str(getattr(user, "first_name", "") or "").strip()
    if not (family or given):
        return str(user.get_username()) if hasattr(user, "get_username") else str(user)
    separator = "" if _is_wide(family) or _is_wide(given) else " "
    return separator.join(part for part in (family, given) if part)
