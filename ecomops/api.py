"""API plumbing shared by every app: one error shape, and signed-push verification.

Every API error answers ``{"detail": "...", "fields": {"field": ["reason", ...]}}`` with
``fields`` present when the error is about particular input fields.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from ecomops.bounds import BoundedJSONParser, body_too_large_message
from ecomops.errors import ApplicationError

SIGNATURE_HEADER = "X-Ecomops-Signature"
TIMESTAMP_HEADER = "X-Ecomops-Timestamp"


class SignatureError(exceptions.AuthenticationFailed):
    """Missing, stale or wrong signature: HTTP 401."""


class BodyTooLargeError(ApplicationError):
    """A request larger than its endpoint takes: 400 naming ``body``, before anything reads it."""


def check_body_size(request: Request, limit: int) -> None:
    """Refuse a body over ``limit`` bytes by its Content-Length, before it is read; a body
    without one is read (Django stops at ``DATA_UPLOAD_MAX_MEMORY_SIZE``) and measured."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_large = declared > limit
    if not too_large and not declared:
        try:
            too_large = len(request.body) > limit
        except RequestDataTooBig:
            too_large = True
    if too_large:
        message = body_too_large_message(limit)
        raise BodyTooLargeError(message, {"fields": {"body": [message]}})


def sign(secret: str, timestamp: str | int, body: bytes) -> str:
    """The signature a sender puts in ``X-Ecomops-Signature``: hex HMAC-SHA256."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_content(request: Request) -> bytes:
    """What a request's signature covers: the body of a push; for a read (GET, which has no
    body) the path with its query string, so a signature for one order reads no other."""
    if request.method in ("GET", "HEAD"):
        return request.get_full_path().encode()
    return request.body


def verify_signature(request: Request, secret: str, *, now: float | None = None) -> None:
    """Raise ``SignatureError`` unless the request is signed with ``secret`` within the skew
    (over ``signed_content``: the body, or a GET's path)."""
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not timestamp or not signature:
        raise SignatureError(_("The request is not signed."))
    try:
        sent_at = int(timestamp)
    except ValueError as exc:
        raise SignatureError(_("The signature timestamp is not a number.")) from exc
    current = time.time() if now is None else now
    if abs(current - sent_at) > settings.API_SIGNATURE_MAX_SKEW:
        raise SignatureError(_("The signature timestamp is too old or in the future."))
    expected = sign(secret, timestamp, signed_content(request))
    if not hmac.compare_digest(expected, signature.lower()):
        raise SignatureError(_("The signature does not match."))


class JSONOnly(DefaultContentNegotiation):
    """The endpoint's one renderer whatever the caller's ``Accept`` says, as DRF's guide
    to custom negotiation shows for a view that speaks one format (each push would
    otherwise match the header against every renderer). The body's parser is chosen by
    its content type as before: anything but JSON is still 415."""

    def select_renderer(
        self, request: Request, renderers: Any, format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class SignedEndpoint(APIView):
    """Base view for endpoints called by channels, carriers and payment providers.

    They carry no session or token: the view checks the sender's signature itself with
    ``verify_signature``. The authenticate header makes DRF answer a bad signature with
    401 (re-sign and retry) rather than 403.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    # JSON only, no deeper than ecomops.bounds.JSON_MAX_DEPTH.
    parser_classes = (BoundedJSONParser,)
    # Machines call these: they answer JSON, never the browsable API's page.
    renderer_classes = (JSONRenderer,)
    content_negotiation_class = JSONOnly
    # The setting holding the largest body taken, in bytes: one order, payment or event.
    # A page of many says "DATA_UPLOAD_MAX_MEMORY_SIZE", the ceiling of every request.
    body_limit_setting = "API_MAX_BODY_BYTES"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        check_body_size(request, getattr(settings, self.body_limit_setting))
        super().initial(request, *args, **kwargs)

    def get_authenticate_header(self, request: Request) -> str:
        return 'HMAC-SHA256 realm="ecomops"'


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus ApplicationError and Django's ValidationError in the same shape."""
    if isinstance(exc, ApplicationError):
        body: dict[str, Any] = {"detail": exc.message, **exc.extra}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            fields = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
            return Response(
                {"detail": _("Some fields are not valid."), "fields": fields},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        message = body_too_large_message(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return Response(
            {"detail": message, "fields": {"body": [message]}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ParseError):
        # The body could not be read as JSON (not JSON, NaN, nested too deep): name it.
        response.data = {"detail": str(exc.detail), "fields": {"body": [str(exc.detail)]}}
        return response
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict | list):
        data = response.data
        fields = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"detail": _("Some fields are not valid."), "fields": fields}
    elif isinstance(response.data, dict) and "detail" not in response.data:
        response.data = {"detail": str(exc), **response.data}
    return response
