"""The Content-Security-Policy header, built once for the responses that do not change it.

django-csp's middleware builds the policy from the settings on every response, twice (the
policy and the report-only one): copying the directives, sorting and joining them took
about 0.13 ms a request, the most of any one middleware (Django's locale middleware, next,
about 0.10 ms), and a signed push pays it for a JSON answer. Most responses change nothing
of the policy: no view decorator (``csp_update``, ``csp_replace``, ``csp``) and no nonce
drawn (a page's template draws one when it has an inline script or style). Their header is
the same string every time, built once per process and again when a test changes the
settings. Every other response goes through django-csp as before.
"""

from __future__ import annotations

import functools
import http.client
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest
from django.http.response import HttpResponseBase

# What a view's decorators put on its response to change the policy or leave it out.
_CHANGES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt",
    "_csp_exempt_ro",
)
_SETTINGS = {"CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"}


@functools.cache
def settings_policies() -> tuple[str, str]:
    """The policy and the report-only policy the settings give a response that changes
    neither and drew no nonce (either may be empty: no header)."""
    return build_policy(), build_policy(report_only=True)


@receiver(setting_changed)
def _forget_policies(*, setting: str, **kwargs: Any) -> None:
    if setting in _SETTINGS:
        settings_policies.cache_clear()


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp's middleware, with the settings' policy kept (see the module)."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if not _takes_settings_policy(request, response):
            return super().process_response(request, response)
        policy, report_only = settings_policies()
        _set(request, response, HEADER, policy, "CONTENT_SECURITY_POLICY")
        _set(
            request,
            response,
            HEADER_REPORT_ONLY,
            report_only,
            "CONTENT_SECURITY_POLICY_REPORT_ONLY",
        )
        # As django-csp does: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response


def _takes_settings_policy(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Is the response's policy the settings' as they stand: no nonce drawn, no decorator's
    change or exemption, and not one of Django's debug pages (which django-csp leaves
    without a header)? Any other response is django-csp's to answer."""
    debug_page = settings.DEBUG and response.status_code in (
        http.client.INTERNAL_SERVER_ERROR,
        http.client.NOT_FOUND,
    )
    return not (
        debug_page
        or getattr(request, "_csp_nonce", None) is not None
        or any(getattr(response, name, None) is not None for name in _CHANGES)
    )


def _set(
    request: HttpRequest, response: HttpResponseBase, header: str, policy: str, setting: str
) -> None:
    """Put ``policy`` in ``header`` unless it is empty, the view set the header itself or
    the path is one the setting excludes (django-csp's rules)."""
    if not policy or header in response:
        return
    prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
    if not request.path_info.startswith(tuple(prefixes)):
        response[header] = policy
