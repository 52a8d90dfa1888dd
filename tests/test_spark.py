"""stance.spark: predict_udf, analyze_udf, the CLI and MLflow's spark_udf, row by row against in-process stance."""

from __future__ import annotations

import json
import math
import os
import shutil
import warnings
from pathlib import Path

import pytest

import stance
from stance.spark import predict_rows, row_error

DATA = Path(__file__).parents[1] / "data" / "statements"
ARTICLE = Path(__file__).parent / "fixtures" / "kursk-article.txt"
N = 2000
TOL = 1e-5


def _needs_spark() -> None:
    if shutil.which("java") is None:
        pytest.skip("no `java` on PATH: Spark needs Java 17 (apt-get install openjdk-17-jre-headless)")
    pytest.importorskip("pyspark", reason="the spark extra is not installed: pip install '.[spark]'")


def _statements(n: int) -> list[str]:
    texts: list[str] = []
    for split in ("train", "dev", "test"):
        with (DATA / f"{split}.jsonl").open(encoding="utf-8") as f:
            texts += [json.loads(line)["text"] for line in f if line.strip()]
    return texts[:n]


def _same(p: stance.Prediction, stance_label, scores: dict, rhetoric) -> list[str]:
    """What differs between an in-process prediction and a Spark row (empty when they agree)."""
    diffs = []
    if stance_label != p.stance:
        diffs.append(f"stance {stance_label} != {p.stance}")
    if rhetoric is not None and list(rhetoric) != list(p.rhetoric):
        diffs.append(f"rhetoric {rhetoric} != {p.rhetoric}")
    worst = max(abs(scores[k] - v) for k, v in p.stance_scores.items())
    if worst > TOL:
        diffs.append(f"stance score off by {worst:.2g}")
    return diffs


def test_predict_rows_reports_bad_values_and_labels_the_rest(tiny_model):
    # The worker's batch function (no Spark needed): one model call, each bad value keeps its reason.
    predictor = stance.load(tiny_model)
    values = [
        "We will never surrender.",
        None,
        math.nan,
        "",
        "  ",
        5,
        b"raw",
        {"a": 1},
        "The vote is Tuesday.",
    ]
    rows = predict_rows(values, predictor)
    errors = [r["error"] for r in rows]
    assert errors[0] is None and errors[-1] is None
    assert errors[1] == errors[2] == "null text"
    assert "empty or whitespace-only" in errors[3] and "empty or whitespace-only" in errors[4]
    assert (
        errors[5].startswith("expected str, got int") and "got bytes" in errors[6] and "got dict" in errors[7]
    )
    assert all(r["stance"] is None and r["stance_scores"] is None for r in rows[1:-1])
    for row, p in zip([rows[0], rows[-1]], predictor.predict([values[0], values[-1]]), strict=True):
        assert not _same(p, row["stance"], row["stance_scores"], row["rhetoric"])
        assert row["stance_score"] == p.stance_scores[p.stance]
        assert row["spans"] == [s.__dict__ for s in p.spans]
    assert row_error("ok") is None


@pytest.fixture(scope="module")
def spark():
    _needs_spark()
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    from stance.spark import session

    s = session("local[2]", app="stance-tests", conf={"spark.sql.shuffle.partitions": "2"})
    yield s
    s.stop()


@pytest.fixture(scope="module")
def registered(tiny_model, tmp_path_factory):
    """The tiny model logged as the project's pyfunc and registered as stance@champion in a temporary store."""
    import mlflow

    from training.pyfunc import log_pyfunc

    tmp = tmp_path_factory.mktemp("mlflow")
    old = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri = f"sqlite:///{tmp / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment_id=mlflow.create_experiment("spark", (tmp / "artifacts").as_uri()))
    with mlflow.start_run():
        info = log_pyfunc(tiny_model)
    version = mlflow.register_model(info.model_uri, "stance").version
    mlflow.MlflowClient().set_registered_model_alias("stance", "champion", version)
    yield "models:/stance@champion"
    if old is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = old


def test_predict_udf_and_mlflow_spark_udf_match_in_process(spark, tiny_model, registered):
    import mlflow

    from stance.spark import PYFUNC_RESULT_TYPE, predict_udf

    texts = _statements(N)
    expected = stance.predict(texts, model=tiny_model)
    df = spark.createDataFrame(list(enumerate(texts)), "id long, text string")  # 2 partitions, 2 workers
    # The MLflow-native route over the registered pyfunc runs in the same job: one pass, the same workers.
    theirs_udf = mlflow.pyfunc.spark_udf(
        spark, registered, result_type=PYFUNC_RESULT_TYPE, env_manager="local"
    )
    both = df.select(
        "id", predict_udf(tiny_model)("text").alias("p"), theirs_udf("text").alias("m")
    ).collect()
    assert len(both) == N
    diffs, bad = {}, {}
    for row in both:
        r, m, p = row["p"], row["m"], expected[row["id"]]
        d = _same(p, r["stance"], r["stance_scores"], r["rhetoric"])
        if r["error"] is not None or abs(r["stance_score"] - p.stance_scores[p.stance]) > TOL:
            d.append(f"error {r['error']!r}, stance_score {r['stance_score']}")
        if sorted(r["rhetoric_scores"]) != sorted(p.rhetoric_scores) or any(
            abs(r["rhetoric_scores"][k] - v) > TOL for k, v in p.rhetoric_scores.items()
        ):
            d.append("rhetoric scores")
        if [(s["start"], s["end"], s["technique"]) for s in r["spans"]] != [
            (s.start, s.end, s.technique) for s in p.spans
        ]:
            d.append("spans")
        if d:
            diffs[row["id"]] = d
        scores = {k.removeprefix("score_"): v for k, v in m.asDict().items() if k.startswith("score_")}
        d = _same(p, m["stance"], scores, m["techniques"].split(",") if m["techniques"] else [])
        if d:
            bad[row["id"]] = d
    assert not diffs, f"{len(diffs)} of {N} predict_udf rows differ, e.g. {list(diffs.items())[:3]}"
    assert not bad, f"{len(bad)} of {N} spark_udf rows differ, e.g. {list(bad.items())[:3]}"


def test_parquet_with_null_empty_and_non_string_rows(spark, tiny_model, tmp_path):
    from pyspark.sql import functions as F

    from stance.spark import predict_parquet

    cells = {  # a VARIANT column, as Parquet from JSON holds it: strings, numbers, objects, nulls
        0: '"We will never surrender."',
        1: None,
        2: '""',
        3: '"   "',
        4: "5",
        5: '{"text": "nested"}',
        6: "null",
        7: '"The committee meets again on 4 March."',
    }
    src, dst = tmp_path / "in.parquet", tmp_path / "out.parquet"
    raw = spark.createDataFrame(list(cells.items()), "id long, j string")
    raw.select("id", F.parse_json("j").alias("text")).write.parquet(str(src))
    counts = predict_parquet(spark, str(src), str(dst), model=tiny_model)
    assert counts["rows"] == 8 and counts["errors"] == 6
    out = {r["id"]: r for r in spark.read.parquet(str(dst)).collect()}
    errors = {i: out[i]["error"] for i in cells}
    assert errors[1] == errors[6] == "null text"
    assert "empty or whitespace-only" in errors[2] and "empty or whitespace-only" in errors[3]
    assert errors[4].startswith("expected str, got int") and errors[5].startswith("expected str, got dict")
    assert all(out[i]["stance"] is None for i in (1, 2, 3, 4, 5, 6))
    expected = stance.predict([json.loads(cells[0]), json.loads(cells[7])], model=tiny_model)
    for i, p in zip((0, 7), expected, strict=True):
        assert errors[i] is None and not _same(
            p, out[i]["stance"], out[i]["stance_scores"], out[i]["rhetoric"]
        )
    with pytest.raises(ValueError, match="no 'body' column"):
        predict_parquet(spark, str(src), str(tmp_path / "x.parquet"), text_column="body", model=tiny_model)


def test_analyze_parquet_and_cli(spark, tiny_model, tmp_path, capsys):
    from stance.cli import main

    article = ARTICLE.read_text(encoding="utf-8")
    src, dst = tmp_path / "articles.parquet", tmp_path / "quotes.parquet"
    rows = [(1, article), (2, None), (3, "The weather was mild on Tuesday.")]
    spark.createDataFrame(rows, "id long, text string").write.parquet(str(src))
    argv = ["spark", "analyze", str(src), str(dst), "--master", "local[2]", "--model", str(tiny_model)]
    assert main(argv) == 1  # one article is null: reported, the rest written
    err = capsys.readouterr().err
    assert "1 rows without labels: null text" in err and "with an error" in err
    out = spark.read.parquet(str(dst)).orderBy("id", "quote_index").collect()
    quotes = stance.analyze(article, model=tiny_model)
    mine = [r for r in out if r["id"] == 1]
    assert [(r["quote_text"], r["quote_start"], r["quote_speaker"], r["quote_stance"]) for r in mine] == [
        (q.text, q.start, q.speaker, q.prediction.stance) for q in quotes
    ]
    assert [(r["id"], r["quote_index"], r["error"]) for r in out if r["id"] != 1] == [
        (2, None, "null text"),
        (3, None, None),
    ]
    assert spark.sparkContext._jsc is not None, "the CLI must not stop a session it did not start"
    assert main(argv) == 2 and "already exists" in capsys.readouterr().err
