"""`stance serve`'s REST API with the tiny model: every route, every limit, bad JSON, concurrency."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

pytest.importorskip("fastapi_offline", reason="the serve extra is not installed: pip install -e '.[serve]'")
from fastapi.testclient import TestClient  # noqa: E402

import stance  # noqa: E402
from stance.serve import Limits, article_spans, create_app  # noqa: E402
from stance.types import Prediction, Quote, Span  # noqa: E402
from tests.conftest import FIXTURES  # noqa: E402

SMALL = Limits(max_body_bytes=50_000, max_texts=8, max_text_chars=500, max_article_chars=20_000)
TEXTS = [
    "We will never surrender.",
    "The committee meets again on 4 March.",
    "Statements by the enemy leadership are nothing more than propaganda tricks.",
    "Our troops have liberated the region — a historic victory!",
    "We are ready to resume negotiations without preconditions.",
]


@pytest.fixture(scope="module")
def predictor(tiny_model_spans):
    return stance.load(tiny_model_spans)


@pytest.fixture(scope="module")
def client(predictor):
    with TestClient(create_app(predictor=predictor, limits=SMALL)) as c:
        yield c


def post(client, path, body, **kw):
    return client.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"}, **kw)


def test_healthz_and_labels(client, predictor):
    h = client.get("/healthz").json()
    assert h["ready"] is True
    assert h["model"] == predictor.directory.name
    assert h["taxonomy_version"] == stance.TAXONOMY_VERSION
    labels = client.get("/v1/labels").json()
    assert labels["stances"] == list(stance.STANCES) and labels["techniques"] == list(stance.TECHNIQUES)
    assert labels["limits"]["max_texts"] == 8


def test_predict_matches_the_python_api(client, predictor):
    r = post(client, "/v1/predict", {"texts": TEXTS})
    assert r.status_code == 200
    assert r.json() == [p.to_dict() for p in predictor.predict(TEXTS)]
    assert post(client, "/v1/predict", {"texts": []}).json() == []


def test_analyze_returns_the_quotes_with_article_offsets(client, predictor):
    article = (FIXTURES / "kursk-article.txt").read_text(encoding="utf-8")
    r = post(client, "/v1/analyze", {"article": article})
    assert r.status_code == 200
    quotes = r.json()
    expected = stance.analyze(article, model=predictor)
    assert [{k: v for k, v in q.items() if k != "article_spans"} for q in quotes] == [
        q.to_dict() for q in expected
    ]
    assert len(quotes) >= 5 and any(q["speaker"] for q in quotes)
    mapped = [(s, q) for q in quotes for s in q["article_spans"]]
    assert mapped, "the spans fixture model should produce technique spans"
    for s, q in mapped:
        words = " ".join(article[s["start"] : s["end"]].split())
        assert any(words in " ".join(p["text"].split()) for p in q["prediction"]["spans"])


def test_article_spans_maps_collapsed_marked_text_back_to_the_article():
    article = 'Intro.\nMr Putin said: "The Kyiv   regime\'s adventure\nhas failed." Then more.'
    start = article.index("The Kyiv")
    end = article.index('failed."') + len("failed.")
    context = 'Mr Putin said: "[Q]The Kyiv regime\'s adventure has failed.[/Q]"'
    span_text = "[Q]The Kyiv regime's"
    span = Span(
        context.index(span_text), context.index(span_text) + len(span_text), span_text, "loaded_language", 0.7
    )
    p = Prediction(context, "triumphal", {}, (), {}, (span,))
    q = Quote(article[start:end], start, end, "Mr Putin", 7, 15, "said", "direct", p)
    [mapped] = article_spans(article, q)
    assert article[mapped["start"] : mapped["end"]] == "The Kyiv   regime's"
    assert mapped["technique"] == "loaded_language" and mapped["score"] == 0.7


@pytest.mark.parametrize(
    ("body", "status", "code", "needle"),
    [
        ({"texts": ["ok"] * 9}, 422, "too_many_texts", "the limit is 8 (max_texts)"),
        (
            {"texts": ["ok", "x" * 501]},
            422,
            "text_too_long",
            "text at index 1 has 501 characters; the limit is 500",
        ),
        ({"texts": ["ok", "fine", 3]}, 422, "bad_text", "expected str at index 2, got int"),
        ({"texts": ["ok", "  \n"]}, 422, "bad_text", "empty or whitespace-only text at index 1"),
        ({"texts": ["ok", None]}, 422, "bad_text", "expected str at index 1, got NoneType"),
        ({"texts": ["ok", "a \ud800 b"]}, 422, "bad_text", "text at index 1 holds a lone surrogate"),
        ({"texts": "We will never surrender."}, 422, "wrong_type", "expected 'texts' to be list, got str"),
        ({"text": ["ok"]}, 422, "missing_field", "expected a JSON object with 'texts'"),
        (["ok"], 422, "missing_field", "got list"),
    ],
)
def test_predict_limits_and_bad_input_name_the_problem(client, body, status, code, needle):
    r = post(client, "/v1/predict", body)
    assert r.status_code == status
    err = r.json()
    assert err["code"] == code and needle in err["detail"], err
    if code in ("bad_text", "text_too_long"):
        assert err["index"] == int(needle.split("index ")[1].split()[0].rstrip(","))
    if code in ("too_many_texts", "text_too_long"):
        assert err["limit_name"] in err["detail"]


@pytest.mark.parametrize(
    ("body", "code", "needle"),
    [
        ({"article": "x" * 20_001}, "article_too_long", "the limit is 20,000 (max_article_chars)"),
        ({"article": " \n\t"}, "empty_article", "empty or whitespace-only article"),
        ({"article": 'He said: "\udfff"'}, "bad_text", "the article holds a lone surrogate"),
        ({"article": ["a list"]}, "wrong_type", "expected 'article' to be str, got list"),
        ({}, "missing_field", "expected a JSON object with 'article'"),
    ],
)
def test_analyze_limits_and_bad_input(client, body, code, needle):
    r = post(client, "/v1/analyze", body)
    assert r.status_code == 422 and r.json()["code"] == code and needle in r.json()["detail"]


def test_body_size_limit_with_and_without_content_length(client):
    big = json.dumps({"texts": ["x" * 400] * 200})  # ~80 kB > 50 kB
    r = client.post("/v1/predict", content=big, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["limit"] == 50_000

    def chunked():  # no Content-Length: the limit is counted while reading
        for _ in range(100):
            yield b"x" * 1000

    r = client.post("/v1/predict", content=chunked(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"


@pytest.mark.parametrize(
    ("content", "ctype", "status", "needle"),
    [
        (b'{"texts": ["a",', "application/json", 400, "invalid JSON: Expecting value at line 1 column 16"),
        (b'{"texts": ["\xff\xfe"]}', "application/json", 400, "not UTF-8"),
        (b"[" * 20_000 + b"]" * 20_000, "application/json", 400, "nested too deeply"),
        (b"", "application/json", 400, "invalid JSON"),
        (b'{"texts": ["a"]}', "text/plain", 415, "expected Content-Type: application/json, got 'text/plain'"),
        (b"texts=a", "application/x-www-form-urlencoded", 415, "application/json"),
    ],
)
def test_malformed_bodies_get_json_errors(client, content, ctype, status, needle):
    r = client.post("/v1/predict", content=content, headers={"Content-Type": ctype})
    assert r.status_code == status
    assert needle in r.json()["detail"], r.json()
    assert client.get("/healthz").status_code == 200


def test_unknown_route_and_method_are_json(client):
    assert client.get("/v2/nothing").json()["code"] == "not_found"
    r = client.get("/v1/predict")
    assert r.status_code == 405 and r.json()["code"] == "method_not_allowed"


def test_concurrent_requests_give_the_serial_results(client):
    batches = [TEXTS[i % 5 :] + TEXTS[: i % 5] for i in range(12)]
    serial = [post(client, "/v1/predict", {"texts": b}).json() for b in batches]
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(lambda b: post(client, "/v1/predict", {"texts": b}).json(), batches))
    assert parallel == serial


def test_prediction_runs_off_the_event_loop(predictor):
    """While one prediction is stuck in its worker thread, /healthz and other requests still answer."""
    release, entered = threading.Event(), threading.Event()

    class Stuck:
        directory, meta = predictor.directory, predictor.meta

        def predict(self, texts, **kw):
            entered.set()
            assert release.wait(10)
            return predictor.predict(texts, **kw)

    app = create_app(predictor=Stuck(), limits=replace(SMALL, model_threads=2))
    with TestClient(app) as c, ThreadPoolExecutor(1) as pool:
        slow = pool.submit(post, c, "/v1/predict", {"texts": TEXTS[:1]})
        assert entered.wait(10)
        assert c.get("/healthz").json()["ready"] is True
        release.set()
        assert slow.result(10).status_code == 200


def test_page_docs_and_static_files_are_served_offline(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/app.js" in page.text and "//cdn" not in page.text
    for asset in ("/static/app.js", "/static/style.css"):
        assert client.get(asset).status_code == 200
    docs = client.get("/docs").text
    assert "cdn.jsdelivr" not in docs and "/static-offline-docs/swagger-ui-bundle.js" in docs
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/v1/predict"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["texts"]
    assert {"/v1/predict", "/v1/analyze", "/healthz"} <= set(spec["paths"])


def test_cli_serve_defaults_to_loopback():
    from stance.cli import build_parser

    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.model) == ("127.0.0.1", 8000, None)
    assert build_parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "9"]).port == 9


def test_mlflow_scoring_server_gives_the_same_labels(client, tiny_model_spans, tmp_path, monkeypatch):
    """The README's MLflow route: `mlflow models serve` runs this scoring app over the logged pyfunc."""
    mlflow = pytest.importorskip("mlflow")
    from mlflow.pyfunc import scoring_server

    from training.pyfunc import log_pyfunc

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = mlflow.create_experiment("serve", artifact_location=(tmp_path / "artifacts").as_uri())
    with mlflow.start_run(experiment_id=experiment):
        info = log_pyfunc(tiny_model_spans)
    with TestClient(scoring_server.init(mlflow.pyfunc.load_model(info.model_uri))) as mlflow_client:
        r = post(
            mlflow_client,
            "/invocations",
            {"dataframe_split": {"columns": ["text"], "data": [[t] for t in TEXTS]}},
        )
    assert r.status_code == 200, r.text
    ours = [p["stance"] for p in post(client, "/v1/predict", {"texts": TEXTS}).json()]
    assert [row["stance"] for row in r.json()["predictions"]] == ours
