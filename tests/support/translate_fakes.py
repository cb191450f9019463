"""Local fake servers for the paid/remote translation APIs, speaking their real wire formats.

Written from the public API documentation:

* LibreTranslate: ``POST /translate`` JSON ``{"q": str | [str], "source", "target",
  "format", "api_key"}`` → ``{"translatedText": str | [str]}``; errors ``{"error": "..."}``
  with 400 (missing parameter, "xx is not supported", batch/char limit), 403 (invalid key),
  429 ("Slowdown: ..."), 500 ("Cannot translate text: ...").
* DeepL API v2: ``POST /v2/translate``, ``Authorization: DeepL-Auth-Key KEY``, JSON
  ``{"text": [...], "source_lang", "target_lang"}`` → ``{"translations":
  [{"detected_source_language", "text"}]}``; errors ``{"message": "..."}`` with 400, 403,
  413 (request over 128 KiB), 429, 456 (quota exceeded).
* OpenAI chat completions: ``POST /v1/chat/completions``, ``Authorization: Bearer KEY``,
  ``{"model", "messages", "temperature"}`` → ``{"id", "object": "chat.completion",
  "choices": [{"index", "message": {"role", "content"}, "finish_reason"}], "usage"}``;
  errors ``{"error": {"message", "type", "param", "code"}}``.

Every server records the requests it received (``requests``: method, path, lower-case
headers, parsed JSON body) and can be told to answer the next requests with scripted
responses first (``script``), e.g. a 503 then the real answer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or the raw text when it is not JSON
    size: int = 0


def json_reply(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(
        data, ensure_ascii=False).encode()


def fake_translate(text: str, source: str, target: str) -> str:
    """The fakes' deterministic "translation": the text tagged with its pair."""
    return f"[{source}>{target}] {text}"


@dataclass
class FakeServer:
    """A threaded HTTP server on 127.0.0.1; subclasses implement ``handle``."""

    requests: list[Received] = field(default_factory=list)
    script: list[Reply] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                req = Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()},
                               body, len(raw))
                with server.lock:
                    server.requests.append(req)
                    scripted = server.script.pop(0) if server.script else None
                status, headers, payload = scripted or server.handle(req)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                         daemon=True).start()

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, req: Received) -> Reply:
        return json_reply(404, {"error": "Not Found"})


@dataclass
class FakeLibreTranslate(FakeServer):
    api_key: str = ""  # required key, when set
    languages: tuple[str, ...] = ("en", "id", "ja", "de")
    batch_limit: int = -1
    char_limit: int = -1
    translate: Callable[[str, str, str], str] = fake_translate

    def handle(self, req: Received) -> Reply:
        if req.path != "/translate":
            return json_reply(404, {"error": "Not Found"})
        body = req.body if isinstance(req.body, dict) else {}
        err = self._check(body)
        if err:
            return err
        q, source, target = body["q"], body["source"], body["target"]
        if isinstance(q, list):
            return json_reply(200, {"translatedText": [self.translate(t, source, target)
                                                       for t in q]})
        return json_reply(200, {"translatedText": self.translate(q, source, target)})

    def _check(self, body: dict[str, Any]) -> Reply | None:
        if self.api_key and body.get("api_key") != self.api_key:
            return json_reply(403, {"error": "Invalid API key"})
        for name in ("q", "source", "target"):
            if not body.get(name):
                return json_reply(400, {"error": f"Invalid request: missing {name} parameter"})
        q = body["q"]
        if isinstance(q, list) and self.batch_limit != -1 and len(q) > self.batch_limit:
            return json_reply(400, {"error": f"Invalid request: Request ({len(q)}) exceeds "
                                             f"text limit ({self.batch_limit})"})
        chars = sum(len(t) for t in q) if isinstance(q, list) else len(q)
        if self.char_limit != -1 and chars > self.char_limit:
            return json_reply(400, {"error": f"Invalid request: Request ({chars}) exceeds "
                                             f"character limit ({self.char_limit})"})
        for lang in (body["source"], body["target"]):
            if lang not in self.languages:
                return json_reply(400, {"error": f"{lang} is not supported"})
        if body.get("format", "text") not in ("text", "html"):
            return json_reply(400, {"error": f"{body['format']} format is not supported"})
        return None


DEEPL_SOURCES = {"EN", "ID", "JA", "DE", "PT", "ZH"}
DEEPL_TARGETS = {"EN", "EN-GB", "EN-US", "ID", "JA", "DE", "PT", "PT-BR", "PT-PT", "ZH"}


@dataclass
class FakeDeepL(FakeServer):
    auth_key: str = "test-key"
    quota_chars: int = 1_000_000  # characters left this billing period
    max_texts: int = 50
    max_bytes: int = 128 * 1024

    def handle(self, req: Received) -> Reply:
        if req.path != "/v2/translate":
            return json_reply(404, {"message": "Not found"})
        if req.headers.get("authorization") != f"DeepL-Auth-Key {self.auth_key}":
            return json_reply(403, {"message": "Authorization failure, check auth_key"})
        if req.size > self.max_bytes:
            return json_reply(413, {"message": "Request Entity Too Large"})
        body = req.body if isinstance(req.body, dict) else {}
        texts = body.get("text")
        if not isinstance(texts, list) or not texts:
            return json_reply(400, {"message": "Parameter 'text' not specified."})
        if len(texts) > self.max_texts:
            return json_reply(400, {"message": f"Too many texts: at most {self.max_texts}"})
        source, target = body.get("source_lang"), body.get("target_lang")
        if source is not None and source not in DEEPL_SOURCES:
            return json_reply(400, {"message": "Value for 'source_lang' not supported."})
        if target not in DEEPL_TARGETS:
            return json_reply(400, {"message": "Value for 'target_lang' not supported."})
        chars = sum(len(t) for t in texts)
        if chars > self.quota_chars:
            return json_reply(456, {"message": "Quota Exceeded"})
        self.quota_chars -= chars
        src = (source or "EN").lower()
        return json_reply(200, {"translations": [
            {"detected_source_language": source or "EN",
             "text": fake_translate(t, src, target.lower())} for t in texts]})


def segments_of(messages: list[dict[str, str]]) -> list[str]:
    """The segments warta put in its prompt (the user message's numbered JSON array)."""
    numbered = json.loads(messages[-1]["content"])
    return [item["text"] for item in sorted(numbered, key=lambda item: item["n"])]


def fenced_answer(texts: list[str], source: str = "en", target: str = "id") -> str:
    """A chatty but valid model answer: prose, then the array in a code fence."""
    array = json.dumps([fake_translate(t, source, target) for t in texts], ensure_ascii=False)
    return f"Here is the translation:\n```json\n{array}\n```\nLet me know if you need more."


@dataclass
class FakeOpenAI(FakeServer):
    models: tuple[str, ...] = ("qwen2.5:7b-instruct",)
    api_key: str = ""  # required bearer key, when set
    # (segments in the prompt) -> the assistant's content; default: a fenced valid answer
    answer: Callable[[list[str]], str] = fenced_answer
    finish_reason: str = "stop"

    def handle(self, req: Received) -> Reply:
        if req.path != "/v1/chat/completions":
            return json_reply(404, {"error": {"message": "Not found", "type": "not_found"}})
        if self.api_key and req.headers.get("authorization") != f"Bearer {self.api_key}":
            return json_reply(401, {"error": {
                "message": "Incorrect API key provided.", "type": "invalid_request_error",
                "param": None, "code": "invalid_api_key"}})
        body = req.body if isinstance(req.body, dict) else {}
        if body.get("model") not in self.models:
            return json_reply(404, {"error": {
                "message": f"The model `{body.get('model')}` does not exist.",
                "type": "invalid_request_error", "param": None, "code": "model_not_found"}})
        content = self.answer(segments_of(body["messages"]))
        return json_reply(200, {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000,
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "finish_reason": self.finish_reason}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}})
