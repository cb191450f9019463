"""The read API's OpenAPI 3.1 description, built in code next to the views it describes.

Kept by hand rather than generated from serializers: the API is small, the document is the
contract partners code against, and a generator would add a framework for five endpoints.
Drift is caught by tests: every response the views give in ``tests/test_api.py`` is
validated against these schemas, and schemathesis fuzzes the live server with them.
Component schemas are JSON Schema 2020-12 (OpenAPI 3.1's dialect), so ``jsonschema``
validates against them directly.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

API_VERSION = "1.0.0"
SLUG_PATTERN = "^[-a-zA-Z0-9_]+$"

_NULLABLE_STR = {"type": ["string", "null"]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties,
            "required": required if required is not None else list(properties),
            "additionalProperties": False}


def component_schemas(max_page_size: int) -> dict[str, Any]:
    image = _obj({
        "src": {"type": "string", "description": "absolute http(s) URL of the picture"},
        "caption": {"type": "string"},
        "credit": {"type": "string"},
    })
    block = {
        "type": "object",
        "description": "One unit of the article body, in reading order. `type` is `p` "
                       "(paragraph), `quote`, `h2`, `h3`, `li` or `img` (then `src`, "
                       "`caption`, `credit`).",
        "properties": {
            "type": {"type": "string"},
            "text": {"type": "string"},
            "src": {"type": "string"},
            "caption": {"type": "string"},
            "credit": {"type": "string"},
        },
        "required": ["type", "text"],
        "additionalProperties": False,
    }
    category_ref = _obj({"slug": {"type": "string"}, "name": {"type": "string"}})
    source_ref = _obj({"id": {"type": ["integer", "null"]}, "name": {"type": "string"}})
    summary_props: dict[str, Any] = {
        "slug": {"type": "string"},
        "title": {"type": "string"},
        "url": {"type": "string", "description": "the story on the site"},
        "api_url": {"type": "string"},
        "excerpt": {"type": "string", "description": "the first paragraph"},
        "published": {"type": "string", "format": "date-time"},
        "updated": {"type": "string", "format": "date-time",
                    "description": "last revision; the publication time if never revised"},
        "category": {"oneOf": [_ref("CategoryRef"), {"type": "null"}]},
        "source": _ref("SourceRef"),
        "image": {"oneOf": [_ref("Image"), {"type": "null"}]},
        "language": {"type": "string", "description": "language of title and text"},
    }
    detail_props = {
        **summary_props,
        "dateline": {"type": "string", "description": "e.g. `Moskow, Rusia`; may be empty"},
        "blocks": {"type": "array", "items": _ref("Block")},
        "source_language": {"type": "string"},
        "machine_translated": {"type": "boolean"},
        "attribution": {"type": "string", "description": "what the licence asks to show"},
        "original_url": {"type": "string", "description": "the story at its source; empty "
                                                          "when it is not a public http(s) URL"},
    }
    page = {
        "count": {"type": "integer", "minimum": 0},
        "page": {"type": "integer", "minimum": 1},
        "page_size": {"type": "integer", "minimum": 1, "maximum": max_page_size},
        "next": {**_NULLABLE_STR, "description": "URL of the next page"},
        "previous": _NULLABLE_STR,
        "results": {"type": "array", "items": _ref("StorySummary")},
    }
    return {
        "Image": image,
        "Block": block,
        "CategoryRef": category_ref,
        "SourceRef": source_ref,
        "StorySummary": _obj(summary_props),
        "Story": _obj(detail_props),
        "StoryPage": _obj(page),
        "Category": _obj({"slug": {"type": "string"}, "name": {"type": "string"},
                          "url": {"type": "string"}, "stories": {"type": "integer"}}),
        "CategoryList": _obj({"results": {"type": "array", "items": _ref("Category")}}),
        "Source": _obj({"id": {"type": "integer"}, "name": {"type": "string"},
                        "language": {"type": "string"}, "attribution": {"type": "string"},
                        "stories": {"type": "integer"}}),
        "SourceList": _obj({"results": {"type": "array", "items": _ref("Source")}}),
        "Error": _obj({"error": {"type": "string"}, "detail": {"type": "string"}}),
    }


def _json(schema: str, description: str, cached: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema)}},
    }
    if cached:
        out["headers"] = {
            "ETag": {"schema": {"type": "string"}},
            "Cache-Control": {"schema": {"type": "string"}},
        }
    return out


_NOT_MODIFIED = {"description": "Not modified (If-None-Match / If-Modified-Since matched)"}
_BAD = _json("Error", "A query parameter is not valid", cached=False)


def _get(operation_id: str, summary: str, parameters: list[dict[str, Any]],
         responses: dict[str, Any], tag: str) -> dict[str, Any]:
    return {"get": {"operationId": operation_id, "summary": summary, "tags": [tag],
                    "parameters": parameters, "responses": responses}}


def build_schema(base_url: str = "") -> dict[str, Any]:
    """The OpenAPI 3.1 document; ``base_url`` (the site's address) becomes its server."""
    w = settings.WARTA
    max_size = int(w["api.max_page_size"])
    query = [
        {"name": "category", "in": "query", "required": False,
         "description": "only stories of this category (its slug)",
         "schema": {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 100}},
        {"name": "source", "in": "query", "required": False,
         "description": "only stories from this source (its id)",
         "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
        {"name": "since", "in": "query", "required": False,
         "description": "only stories published after this time (ISO 8601 with offset)",
         "schema": {"type": "string", "format": "date-time"}},
        {"name": "page", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1, "default": 1}},
        {"name": "page_size", "in": "query", "required": False,
         "schema": {"type": "integer", "minimum": 1, "maximum": max_size,
                    "default": min(int(w["api.page_size"]), max_size)}},
    ]
    slug = [{"name": "slug", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 200}}]
    name = str(w["site.name"])
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{name} read API",
            "version": API_VERSION,
            "description": "Published, translated stories with their categories and sources. "
                           "Read-only; responses carry an ETag (send If-None-Match for a 304) "
                           "and Cache-Control. A withdrawn story answers 410.",
        },
        "servers": [{"url": base_url}] if base_url else [],
        "paths": {
            "/api/stories/": _get("listStories", "Published stories, newest first", query, {
                "200": _json("StoryPage", "One page of stories"),
                "304": _NOT_MODIFIED, "400": _BAD}, "stories"),
            "/api/stories/{slug}/": _get("getStory", "One story with its full text", slug, {
                "200": {**_json("Story", "The story"),
                        "headers": {"ETag": {"schema": {"type": "string"}},
                                    "Cache-Control": {"schema": {"type": "string"}},
                                    "Last-Modified": {"schema": {"type": "string"}}}},
                "304": _NOT_MODIFIED,
                "404": _json("Error", "No such story", cached=False),
                "410": _json("Error", "The story was withdrawn", cached=False)}, "stories"),
            "/api/categories/": _get("listCategories", "Categories with published stories",
                                     [], {"200": _json("CategoryList", "The categories"),
                                          "304": _NOT_MODIFIED}, "categories"),
            "/api/sources/": _get("listSources", "Sources with published stories", [], {
                "200": _json("SourceList", "The sources (public fields only)"),
                "304": _NOT_MODIFIED}, "sources"),
        },
        "components": {"schemas": component_schemas(max_size)},
    }
