"""Signed pushes and the one API error shape."""

from __future__ import annotations

import json
import time

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from ecomops.api import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
    exception_handler,
    sign,
    verify_signature,
)
from ecomops.errors import ApplicationError, ConflictError

SECRET = "channel-secret"

pytestmark = pytest.mark.usefixtures("english")


def _request(body: bytes, headers: dict[str, str]) -> Request:
    factory = APIRequestFactory()
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    return Request(factory.post("/x", data=body, content_type="application/json", **meta))


def test_sign_is_hmac_sha256_of_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    body = b'{"a": 1}'
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, body) == expected


def test_good_signature_passes() -> None:
    body = json.dumps({"external_id": "T1"}).encode()
    ts = str(int(time.time()))
    verify_signature(
        _request(body, {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign(SECRET, ts, body)}), SECRET
    )


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "not signed"),
        ({TIMESTAMP_HEADER: "abc", SIGNATURE_HEADER: "00"}, "not a number"),
        ({TIMESTAMP_HEADER: "1000", SIGNATURE_HEADER: "00"}, "too old"),
    ],
)
def test_missing_or_stale_signature_is_refused(headers: dict[str, str], message: str) -> None:
    with pytest.raises(SignatureError, match=message) as exc:
        verify_signature(_request(b"{}", headers), SECRET)
    assert exc.value.status_code == 401


def test_wrong_secret_or_tampered_body_is_refused() -> None:
    ts = str(int(time.time()))
    signature = sign("other-secret", ts, b"{}")
    with pytest.raises(SignatureError, match="does not match"):
        verify_signature(
            _request(b"{}", {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: signature}), SECRET
        )
    signature = sign(SECRET, ts, b"{}")
    with pytest.raises(SignatureError):
        verify_signature(
            _request(b'{"x":1}', {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: signature}), SECRET
        )


def test_application_errors_keep_their_status_and_fields() -> None:
    response = exception_handler(ApplicationError("bad", {"fields": {"sku": ["unknown"]}}), {})
    assert response is not None
    assert response.status_code == 400
    assert response.data == {"detail": "bad", "fields": {"sku": ["unknown"]}}
    conflict = exception_handler(ConflictError("state"), {})
    assert conflict is not None
    assert conflict.status_code == 409


def test_validation_errors_list_fields_under_one_key() -> None:
    response = exception_handler(serializers.ValidationError({"quantity": ["must be > 0"]}), {})
    assert response is not None
    assert response.status_code == 400
    assert response.data["fields"] == {"quantity": ["must be > 0"]}
    django_error = exception_handler(DjangoValidationError({"postcode": ["6 digits"]}), {})
    assert django_error is not None
    assert django_error.data["fields"] == {"postcode": ["6 digits"]}
