"""People's names (姓名): family name first on every page and PDF, the username only for an
account without a name."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.urls import reverse

from ecomops.accounts.names import person_name
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("family", "given", "username", "shown"),
    [
        ("王", "芳", "sales_rep", "王芳"),
        ("欧阳", "晓燕", "hr", "欧阳晓燕"),
        ("Wang", "Fang", "wf", "Wang Fang"),
        ("王", "", "wang", "王"),
        ("", "", "picker", "picker"),
    ],
)
def test_a_name_reads_family_name_first(family, given, username, shown):
    user = UserFactory(username=username, last_name=family, first_name=given)
    assert person_name(user) == shown


def test_nobody_is_an_empty_name():
    assert person_name(None) == ""


def test_the_template_filter_uses_the_same_helper():
    user = UserFactory(username="u1", last_name="马", first_name="超")
    template = Template('{% load people %}{{ who|person }}|{{ nobody|person|default:"—" }}')
    assert template.render(Context({"who": user, "nobody": None})) == "马超|—"
    assert Template("{% load people %}{{ who|person }}").render(
        Context({"who": AnonymousUser()})
    ) == ("")


def test_the_page_header_shows_the_signed_in_name(client: Any, make_user: Any) -> None:
    user = make_user("sales_rep", username="sales_rep", last_name="王", first_name="芳")
    client.force_login(user)
    html = client.get(reverse("portal:home")).content.decode()
    assert '<span class="user" data-testid="current-user">王芳</span>' in html
    assert "芳 王" not in html
