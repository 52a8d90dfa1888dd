"""`stance serve`: the REST API and the analysts' page over one loaded model (the `serve` extra).

Imported only by `stance serve` (FastAPI and uvicorn are optional); `import stance` never loads it.
"""

from __future__ import annotations

import json
import os
import re
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import anyio
from fastapi import Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException

from stance.labels import STANCES, TAXONOMY_VERSION, TECHNIQUES
from stance.predict import Predictor, check_texts
from stance.types import Quote

WEB = Path(str(files("stance") / "web"))


@dataclass(frozen=True)
class Limits:
    """What one request may ask; anything larger is refused with a JSON error naming the limit."""

    max_body_bytes: int = 2_000_000
    max_texts: int = 256
    max_text_chars: int = 20_000
    max_article_chars: int = 200_000
    model_threads: int = 2  # model calls running at once; the rest wait off the event loop


class ApiError(Exception):
    """An error the API answers with `{"detail": ..., "code": ..., **extra}` and an HTTP status."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any):
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra

    def body(self) -> dict[str, Any]:
        return {"detail": self.detail, "code": self.code, **self.extra}


async def read_json(request: Any, limit: int) -> Any:
    """The request body as JSON: 415 for another content type, 413 past `limit` bytes, 400 if malformed."""
    ctype = request.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        raise ApiError(
            415, "unsupported_media_type", f"expected Content-Type: application/json, got {ctype!r}"
        )
    too_large = ApiError(
        413,
        "body_too_large",
        f"request body is larger than {limit:,} bytes",
        limit=limit,
        limit_name="max_body_bytes",
    )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    try:
        return json.loads(bytes(body))
    except json.JSONDecodeError as e:
        raise ApiError(
            400, "invalid_json", f"invalid JSON: {e.msg} at line {e.lineno} column {e.colno}"
        ) from None
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "invalid JSON: the body is not UTF-8 text") from None
    except RecursionError:
        raise ApiError(400, "invalid_json", "invalid JSON: nested too deeply") from None


def field(body: Any, name: str, kind: type, example: str) -> Any:
    """`body[name]`, checked to be a `kind`; 422 naming what was expected otherwise."""
    if not isinstance(body, dict) or name not in body:
        got = type(body).__name__ if not isinstance(body, dict) else f"keys {sorted(body)[:5]}"
        raise ApiError(
            422, "missing_field", f"expected a JSON object with {name!r}, e.g. {example}; got {got}"
        )
    value = body[name]
    if not isinstance(value, kind):
        raise ApiError(
            422,
            "wrong_type",
            f"expected {name!r} to be {kind.__name__}, got {type(value).__name__}; e.g. {example}",
        )
    return value


def check_batch(texts: list[Any], limits: Limits) -> list[str]:
    """The same contract as stance.predict (wrong types, empty texts name the index), plus the size limits."""
    if len(texts) > limits.max_texts:
        raise ApiError(
            422,
            "too_many_texts",
            f"{len(texts):,} texts in one request; the limit is {limits.max_texts:,} (max_texts): split the batch",
            limit=limits.max_texts,
            limit_name="max_texts",
        )
    try:
        items, _ = check_texts(texts)
    except (TypeError, ValueError) as e:
        index = re.search(r"at index (\d+)", str(e))
        raise ApiError(422, "bad_text", str(e), index=int(index.group(1)) if index else None) from None
    for i, t in enumerate(items):
        check_unicode(t, f"text at index {i}", index=i)
        if len(t) > limits.max_text_chars:
            raise ApiError(
                422,
                "text_too_long",
                f"text at index {i} has {len(t):,} characters; the limit is {limits.max_text_chars:,} "
                "(max_text_chars): send long documents to /v1/analyze or split them",
                index=i,
                limit=limits.max_text_chars,
                limit_name="max_text_chars",
            )
    return items


def check_unicode(text: str, what: str, **extra: Any) -> None:
    """JSON may carry a lone surrogate ("\\ud800") that no UTF-8 text can: 422 rather than a crash later."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ApiError(
            422,
            "bad_text",
            f"{what} holds a lone surrogate ({text[e.start]!r} at character {e.start}): send valid Unicode",
            **extra,
        ) from None


def article_spans(article: str, quote: Quote) -> list[dict[str, Any]]:
    """The quote's technique spans as offsets into the article.

    The model read the quote's reporting sentence with whitespace collapsed and `[Q]` markers (its
    `input_format`), so each span's words are found again in the article, nearest to the quote.
    """
    out = []
    lo, hi = max(0, quote.start - 2000), min(len(article), quote.end + 2000)
    for span in quote.prediction.spans:
        words = span.text.replace("[Q]", " ").replace("[/Q]", " ").split()
        if not words:
            continue
        pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
        hits = list(pattern.finditer(article, lo, hi))
        if not hits:
            continue
        best = min(hits, key=lambda m: abs(m.start() - quote.start))
        out.append(
            {"start": best.start(), "end": best.end(), "technique": span.technique, "score": span.score}
        )
    return out


def model_name(model: str | os.PathLike | None, predictor: Predictor) -> str:
    """What /healthz calls the model: the URI or name it was given, else its directory's name."""
    if model is not None and str(model).startswith(("models:/", "runs:/")):
        return str(model)
    return predictor.directory.name


def create_app(
    model: str | os.PathLike | None = None, *, predictor: Predictor | None = None, limits: Limits = Limits()
):
    """The FastAPI app: /v1/predict, /v1/analyze, /v1/labels, /healthz, the page at / and docs at /docs.

    The model loads once, at start-up (or pass a loaded `predictor`); predictions run in worker threads.
    """
    from stance import __version__
    from stance.article import analyze

    state: dict[str, Any] = {"predictor": predictor}

    @asynccontextmanager
    async def lifespan(app):
        if state["predictor"] is None:
            state["predictor"] = Predictor(model)
        state["name"] = model_name(model, state["predictor"])
        state["limiter"] = anyio.CapacityLimiter(limits.model_threads)
        yield

    app = FastAPIOffline(
        title="stance",
        version=__version__,
        description="Stance and propaganda-technique labels for quoted statements in the news.",
        lifespan=lifespan,
    )
    app.mount("/static", StaticFiles(directory=WEB), name="static")

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"detail": exc.detail, "code": code}, status_code=exc.status_code)

    async def run(fn, *args, **kwargs):
        return await anyio.to_thread.run_sync(lambda: fn(*args, **kwargs), limiter=state["limiter"])

    predict_schema = _body_schema(
        "texts", {"type": "array", "items": {"type": "string"}}, ["We will never surrender."]
    )
    analyze_schema = _body_schema("article", {"type": "string"}, 'Mr Putin said: "The adventure has failed."')

    @app.post("/v1/predict", summary="Label statements", openapi_extra=predict_schema)
    async def predict(request: Request) -> JSONResponse:
        """`{"texts": [...]}` → one `Prediction.to_dict()` per text, in order."""
        body = await read_json(request, limits.max_body_bytes)
        texts = check_batch(field(body, "texts", list, '{"texts": ["We will never surrender."]}'), limits)
        preds = await run(state["predictor"].predict, texts) if texts else []
        return JSONResponse([p.to_dict() for p in preds])

    @app.post(
        "/v1/analyze", summary="Quotes, speakers and labels in an article", openapi_extra=analyze_schema
    )
    async def analyze_article(request: Request) -> JSONResponse:
        """`{"article": "..."}` → its quotes (`Quote.to_dict()`), each with `article_spans` in article offsets."""
        body = await read_json(request, limits.max_body_bytes)
        article = field(body, "article", str, '{"article": "Mr Putin said: ..."}')
        if not article.strip():
            raise ApiError(
                422, "empty_article", "empty or whitespace-only article: there is nothing to analyze"
            )
        check_unicode(article, "the article")
        if len(article) > limits.max_article_chars:
            raise ApiError(
                422,
                "article_too_long",
                f"article has {len(article):,} characters; the limit is {limits.max_article_chars:,} "
                "(max_article_chars): split it",
                limit=limits.max_article_chars,
                limit_name="max_article_chars",
            )
        quotes = await run(analyze, article, model=state["predictor"])
        return JSONResponse([{**q.to_dict(), "article_spans": article_spans(article, q)} for q in quotes])

    @app.get("/healthz", summary="Liveness and the model served")
    async def healthz() -> dict[str, Any]:
        p = state["predictor"]
        return {
            "ready": p is not None,
            "model": state.get("name"),
            "taxonomy_version": p.meta.taxonomy_version if p else TAXONOMY_VERSION,
            "run_id": p.meta.run_id if p else None,
            "version": __version__,
        }

    @app.get("/v1/labels", summary="The label lists and the request limits")
    async def labels() -> dict[str, Any]:
        return {"stances": list(STANCES), "techniques": list(TECHNIQUES), "limits": asdict(limits)}

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return Response(status_code=204)

    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(WEB / "index.html")

    return app


def _body_schema(name: str, schema: dict[str, Any], example: Any) -> dict[str, Any]:
    """The request body as OpenAPI shows it (the routes read and check the JSON themselves)."""
    body = {"type": "object", "required": [name], "properties": {name: schema}}
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": body, "example": {name: example}}},
        }
    }


def serve(model: str | None, host: str = "127.0.0.1", port: int = 8000, limits: Limits = Limits()) -> None:
    """Load the model and serve the API and the page until interrupted."""
    import uvicorn

    uvicorn.run(create_app(model, limits=limits), host=host, port=port, log_level="info")
