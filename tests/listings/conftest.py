from __future__ import annotations

from typing import Any

import pytest

ROLES = ["bu_applicant", "listing_reviewer", "designer", "shop_manager"]


@pytest.fixture
def users(make_user: Any) -> dict[str, Any]:
    return {role: make_user(role) for role in ROLES}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.LISTING_IMAGE_LIMITS = {
        "max_bytes": 2 * 1024 * 1024,
        "min_width": 800,
        "min_height": 800,
    }


@pytest.fixture
def client() -> Any:
    """Pages in English, so tests can read the messages' words."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")
