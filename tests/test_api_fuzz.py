"""Property-based tests of the read API: schemathesis generates requests from the project's
own OpenAPI document (/api/schema/) and sends them to a live server holding published,
killed and scheduled stories. Every response must be no 5xx and conform to the document
(status codes, content type, headers, body schema), valid input must be accepted and invalid
input refused with a 4xx.

Hypothesis runs inside the test (``@given`` on an inner function) rather than through
schemathesis's pytest plugin: the data and the live server are function-scoped fixtures.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.test_api import make_post
from warta.newsroom.models import Category, Post, Source

pytestmark = pytest.mark.dbmatrix
EXAMPLES = 25  # per operation and mode; the whole test stays in seconds


@pytest.mark.django_db(transaction=True)
def test_api_conforms_to_its_schema(live_server: Any) -> None:
    world = Category.objects.create(slug="dunia", name="Dunia")
    wire = Source.objects.create(url="https://wire.example.com/feed", name="Kantor Berita")
    posts = [
        make_post("Satu", category=world, image={"src": "https://img.example.com/1.jpg",
                                                 "caption": "Foto (arsip)"}),
        make_post("Dua", source=wire, dateline="Jakarta:"),
        make_post("Tiga", category=world, status=Post.Status.KILLED),
        make_post("Terjadwal", hours_ago=-3),
    ]
    loaded = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/")
    operations = [result.ok() for result in loaded.get_all_operations()]
    assert len(operations) == 4
    seen: list[int] = []

    for operation in operations:
        # an operation without parameters has no invalid request to generate
        modes = [GenerationMode.POSITIVE] + (
            [GenerationMode.NEGATIVE] if operation.definition.raw.get("parameters") else [])
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            def check(case: Any) -> None:
                response = case.call_and_validate(base_url=live_server.url)
                seen.append(response.status_code)

            check()
    # the stories that exist, whatever hypothesis happened to generate
    detail = next(op for op in operations if op.label == "GET /api/stories/{slug}/")
    for post in posts:
        case = detail.Case(path_parameters={"slug": post.slug})
        seen.append(case.call_and_validate(base_url=live_server.url).status_code)
    assert {200, 400, 404, 410} <= set(seen)
