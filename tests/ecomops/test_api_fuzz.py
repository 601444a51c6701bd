"""Fuzzing the signed API from its own schema (issue 23 §5): schemathesis reads
``/api/schema/`` (drf-spectacular) and generates requests for every operation, valid and
invalid ones; each is signed with the sender's secret, so it reaches the checks behind the
signature. No answer may be a 5xx.

The number of examples is bounded (``EXAMPLES`` per operation, derandomized: the same
requests on every run) so the file runs in well under a minute.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecomops.api import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.orders.factories import listed_sku, make_channel, order_data, push
from tests.timeutil import at
from tests.warehouse.factories import CARRIER_SECRET, CarrierFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock(at(2026, 11, 23, 10))]

EXAMPLES = 60


@pytest.fixture
def api_schema(client: Client) -> Any:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return schemathesis.openapi.from_dict(json.loads(response.content))


def test_signed_requests_from_the_schema_never_answer_5xx(api_schema: Any) -> None:
    channel = make_channel(code="taobao")
    listed_sku("SKU-1", "99.00")
    CarrierFactory()
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    # An order to send events and payments for, so some requests get past the lookups.
    assert push(client, channel, order_data(external_id="TB1001")).status_code == 201
    secrets = {"carriers": ("ZTO", CARRIER_SECRET), "channels": ("taobao", channel.secret)}
    answers: Counter[int] = Counter()
    failures: list[str] = []

    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 6, [op.path for op in operations]
    for operation in operations:
        code, secret = secrets[operation.path.split("/")[3]]
        fuzz(client, operation, code, secret, answers, failures)

    total = sum(answers.values())
    print(f"\nAPI fuzz: {total} signed requests, answers {dict(sorted(answers.items()))}")
    assert failures == [], failures
    assert total >= EXAMPLES * len(operations) // 2
    # Most requests are refused with a named field; some get through to the services.
    assert answers[400] > 0
    assert sum(n for status, n in answers.items() if status < 300) > 0


def fuzz(
    client: Client,
    operation: Any,
    code: str,
    secret: str,
    answers: Counter[int],
    failures: list[str],
) -> None:
    """Send ``EXAMPLES`` requests generated for ``operation``, each signed with ``secret``
    for the sender ``code``; count the answers, keep each 5xx."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), known_order=st.booleans())
    def send(case: Any, known_order: bool) -> None:
        parameters = dict(case.path_parameters or {})
        parameters["code"] = code
        if "external_id" in parameters and known_order:
            parameters["external_id"] = "TB1001"
        case.path_parameters = parameters
        body = case.body if isinstance(case.body, dict | list | str | int | float) else {}
        raw = json.dumps(body, ensure_ascii=False).encode()
        stamp = str(int(time.time()))
        response = client.post(
            case.formatted_path,
            data=raw,
            content_type="application/json",
            headers={TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign(secret, stamp, raw)},
        )
        answers[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(f"{case.formatted_path} {raw[:300]!r}")

    send()
