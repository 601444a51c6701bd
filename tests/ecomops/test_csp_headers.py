"""The kept Content-Security-Policy (ecomops.csp_headers): every response carries the header
django-csp's own middleware would give it, whether the policy is kept or built for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE, SELF
from csp.decorators import csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.test import RequestFactory, override_settings

from ecomops.csp_headers import CSPMiddleware, settings_policies

View = Callable[[HttpRequest], HttpResponseBase]
POLICY = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF], "img-src": [SELF, "data:"]}}


def _json(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"state": "new"}, status=201)


def _page_with_nonce(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")  # type: ignore[attr-defined]


@csp_replace({"style-src": [SELF, "'unsafe-inline'"]})
def _replaced(request: HttpRequest) -> HttpResponse:
    return HttpResponse("docs")


@csp_update({"img-src": ["https://img.example.com"]})
def _updated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pictures")


@csp_exempt()
def _exempt(request: HttpRequest) -> HttpResponse:
    return HttpResponse("plain")


def _not_found(request: HttpRequest) -> HttpResponse:
    return HttpResponse("missing", status=404)


VIEWS: dict[str, View] = {
    "json": _json,
    "nonce": _page_with_nonce,
    "replaced": _replaced,
    "updated": _updated,
    "exempt": _exempt,
    "not found": _not_found,
}


def _headers(middleware_class: type, view: View, path: str) -> Any:
    request = RequestFactory().get(path)
    response: Any = middleware_class(view)(request)
    return response.headers.get(HEADER), response.headers.get(HEADER_REPORT_ONLY)


def _directives(header: str | None) -> dict[str, str] | None:
    """The header's directives by name: django-csp orders them by a set's order, which
    differs from one process to the next."""
    if header is None:
        return None
    return dict(part.strip().partition(" ")[::2] for part in header.split(";"))


def _same_as_django_csp(view: View, path: str = "/x/") -> None:
    ours = _headers(CSPMiddleware, view, path)
    theirs = _headers(DjangoCSPMiddleware, view, path)
    if view is _page_with_nonce:  # each response draws its own nonce
        ours = tuple(h and h.split("'nonce-")[0] for h in ours)
        theirs = tuple(h and h.split("'nonce-")[0] for h in theirs)
    assert [_directives(h) for h in ours] == [_directives(h) for h in theirs]


@pytest.mark.parametrize("name", list(VIEWS))
@pytest.mark.parametrize("debug", [False, True])
def test_every_response_gets_the_header_django_csp_gives_it(name: str, debug: bool) -> None:
    with override_settings(
        CONTENT_SECURITY_POLICY=POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY=REPORT_ONLY, DEBUG=debug
    ):
        _same_as_django_csp(VIEWS[name])


def test_a_json_answer_gets_the_settings_policy_without_the_nonce() -> None:
    with override_settings(CONTENT_SECURITY_POLICY=POLICY):
        policy, report_only = _headers(CSPMiddleware, _json, "/api/v1/x/")
    assert _directives(policy) == {"default-src": "'self'", "script-src": "'self'"}
    assert report_only is None


def test_a_page_that_draws_a_nonce_names_it_in_its_header() -> None:
    request = RequestFactory().get("/x/")
    response: Any = CSPMiddleware(_page_with_nonce)(request)
    nonce = request._csp_nonce  # type: ignore[attr-defined]
    assert f"'nonce-{nonce}'" in response.headers[HEADER]
    assert f"nonce='{nonce}'" in response.content.decode()


def test_a_nonce_asked_for_after_the_header_is_written_is_refused() -> None:
    request = RequestFactory().get("/x/")
    CSPMiddleware(_json)(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # type: ignore[attr-defined]


def test_a_changed_setting_is_seen_by_the_next_response() -> None:
    with override_settings(CONTENT_SECURITY_POLICY=POLICY):
        before, _ = _headers(CSPMiddleware, _json, "/x/")
        with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": ["'none'"]}}):
            during, _ = _headers(CSPMiddleware, _json, "/x/")
        after, _ = _headers(CSPMiddleware, _json, "/x/")
    assert during == "default-src 'none'"
    assert before == after != during


def test_excluded_prefixes_get_no_header() -> None:
    excluded = {**POLICY, "EXCLUDE_URL_PREFIXES": ["/media/"]}
    with override_settings(CONTENT_SECURITY_POLICY=excluded):
        assert _headers(CSPMiddleware, _json, "/media/a.png") == (None, None)
        assert _headers(CSPMiddleware, _json, "/api/v1/x/")[0]
        _same_as_django_csp(_json, "/media/a.png")


def test_no_policy_in_the_settings_means_no_header() -> None:
    with override_settings(CONTENT_SECURITY_POLICY=None):
        assert _headers(CSPMiddleware, _json, "/x/") == (None, None)
        assert settings_policies() == ("", "")


def test_a_header_the_view_set_is_left_alone() -> None:
    def own(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("file")
        response[HEADER] = "default-src 'none'; sandbox"
        return response

    assert _headers(CSPMiddleware, own, "/x/")[0] == "default-src 'none'; sandbox"


@pytest.mark.django_db
def test_the_signed_api_and_the_portal_answer_with_the_policy(client: Any) -> None:
    answer = client.post(
        "/api/v1/channels/nowhere/orders", data={}, content_type="application/json"
    )
    assert answer.status_code == 404
    assert "default-src 'self'" in answer.headers[HEADER]
    assert "'nonce-" not in answer.headers[HEADER]
    login = client.get("/login/")
    assert login.status_code == 200
    assert "default-src 'self'" in login.headers[HEADER]
