"""Apache Spark: pandas UDFs that label a text column where the data lives (`pip install 'stance[spark]'`).

>>> from stance.spark import predict_udf  # doctest: +SKIP
>>> df.withColumn("labels", predict_udf("models:/stance@champion")("text"))  # doctest: +SKIP

Each Python worker loads the model once (the iterator-of-batches form, and a per-process cache across tasks)
and runs torch with one thread per task core (`spark.task.cpus`), so executor cores are never oversubscribed.
A null, empty or non-string text gives a null result and the reason in `error`; it never fails the job.
pyspark is imported only here, never by `import stance`.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from stance.labels import STANCES
from stance.predict import text_problem
from stance.types import QUOTE_FIELDS as QUOTE_BASE
from stance.types import Prediction, Quote

# Rows per Arrow batch handed to a worker: big enough for length-sorted model batches to pad little, small
# enough that a batch of long articles stays a few MiB and Spark's progress moves (Spark's default is 10,000).
ARROW_BATCH = 1024

SPAN = "struct<start:int,end:int,text:string,technique:string,score:double>"
PREDICT_FIELDS = ("stance", "stance_score", "stance_scores", "rhetoric", "rhetoric_scores", "spans", "error")
PREDICT_SCHEMA = (
    "struct<stance:string,stance_score:double,stance_scores:map<string,double>,rhetoric:array<string>,"
    f"rhetoric_scores:map<string,double>,spans:array<{SPAN}>,error:string>"
)
QUOTE_FIELDS = (*QUOTE_BASE, "stance", "stance_score", "rhetoric")
QUOTE = (
    "struct<text:string,start:int,end:int,speaker:string,speaker_start:int,speaker_end:int,cue:string,"
    "kind:string,stance:string,stance_score:double,rhetoric:array<string>>"
)
ANALYZE_SCHEMA = f"struct<quotes:array<{QUOTE}>,error:string>"
# What the registered MLflow pyfunc (training/pyfunc.py) returns, for mlflow.pyfunc.spark_udf(result_type=...).
PYFUNC_RESULT_TYPE = "stance string, techniques string, " + ", ".join(f"score_{s} double" for s in STANCES)


def session(master: str = "local[*]", *, app: str = "stance", conf: dict[str, str] | None = None) -> Any:
    """A SparkSession set up for the UDFs; on a local master the workers use this Python and this stance, and bind to 127.0.0.1.

    >>> spark = stance.spark.session("local[2]")  # doctest: +SKIP
    """
    local = master.startswith("local")
    if local:  # the workers run this Python and import this copy of stance (a checkout need not be installed)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        here = str(Path(__file__).resolve().parents[1])
        paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
        if here not in paths:
            os.environ["PYTHONPATH"] = os.pathsep.join([here, *filter(None, paths)])
    from pyspark.sql import SparkSession

    settings = {"spark.sql.execution.arrow.maxRecordsPerBatch": str(ARROW_BATCH)}
    if local:  # nothing listens beyond this machine; the web UI is off (it would bind every interface)
        settings |= {
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.driver.host": "127.0.0.1",
            "spark.ui.enabled": "false",
        }
    builder = SparkSession.builder.master(master).appName(app)
    for key, value in (settings | (conf or {})).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def predict_udf(model: str | os.PathLike | None = None, *, batch_size: int = 64) -> Any:
    """A pandas UDF over a text column: a struct of `PREDICT_FIELDS` per row (the fields of `Prediction`,
    `stance_score` the chosen stance's probability, and `error`: why a row got no labels, else null).

    `model` is resolved on each worker: a directory there (also a name shipped with `--archives` or
    `SparkContext.addFile`), an MLflow URI, or None for the worker's `$STANCE_MODEL`/default model.
    """
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    _check_batch_size(batch_size)
    ref = None if model is None else str(model)

    def label(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        predictor = _worker_predictor(ref)
        for texts in batches:
            yield pd.DataFrame(predict_rows(texts, predictor, batch_size), columns=list(PREDICT_FIELDS))

    # pyspark reads the UDF kind from the annotations; postponed (string) annotations would name a local `pd`.
    label.__annotations__ = {"batches": Iterator[pd.Series], "return": Iterator[pd.DataFrame]}
    return pandas_udf(label, PREDICT_SCHEMA)


def analyze_udf(model: str | os.PathLike | None = None, *, batch_size: int = 64) -> Any:
    """A pandas UDF over an article column: a struct of `quotes` (an array of `QUOTE_FIELDS` structs, as
    `stance.analyze` finds them) and `error` (why an article was not read, else null)."""
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    _check_batch_size(batch_size)
    ref = None if model is None else str(model)

    def label(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
        _worker_predictor(ref)  # load once per worker, before the first batch
        for articles in batches:
            yield pd.DataFrame(analyze_rows(articles, ref, batch_size), columns=["quotes", "error"])

    label.__annotations__ = {"batches": Iterator[pd.Series], "return": Iterator[pd.DataFrame]}
    return pandas_udf(label, ANALYZE_SCHEMA)


def predict_rows(values: Iterable[Any], predictor: Any, batch_size: int = 64) -> list[dict[str, Any]]:
    """One result dict per value: labels for each usable text, `error` for the rest (one model call)."""
    texts = [_python(v) for v in values]
    errors = [row_error(t) for t in texts]
    ok = [i for i, e in enumerate(errors) if e is None]
    rows: list[dict[str, Any]] = [dict.fromkeys(PREDICT_FIELDS) | {"error": e} for e in errors]
    if ok:
        for i, p in zip(ok, predictor.predict([texts[i] for i in ok], batch_size=batch_size), strict=True):
            rows[i] = _prediction_row(p)
    return rows


def analyze_rows(values: Iterable[Any], model: str | None, batch_size: int = 64) -> list[dict[str, Any]]:
    """One {quotes, error} dict per article value (one model call for all the batch's quotes)."""
    from stance.article import analyze_many

    articles = [_python(v) for v in values]
    errors = [row_error(a) for a in articles]
    ok = [i for i, e in enumerate(errors) if e is None]
    rows: list[dict[str, Any]] = [{"quotes": None, "error": e} for e in errors]
    found = analyze_many([articles[i] for i in ok], model=_locate(model), batch_size=batch_size)
    for i, quotes in zip(ok, found, strict=True):
        rows[i] = {"quotes": [_quote_row(q) for q in quotes], "error": None}
    return rows


def row_error(value: Any) -> str | None:
    """Why a cell cannot be labelled, in words for the `error` column, or None."""
    if value is None:
        return "null text"
    problem = text_problem(value)
    if isinstance(problem, TypeError) and not isinstance(value, (bytes, bytearray)):
        return f"{problem}: a text column holds strings; cast it or fix the row"
    return None if problem is None else str(problem)


def _python(value: Any) -> Any:
    """A pandas cell as plain Python: missing (None/NaN) -> None, a VARIANT -> its JSON value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if type(value).__name__ == "VariantVal":  # a Parquet/Spark VARIANT column: "a", 5, {...} or JSON null
        return _python(value.toPython())
    return value


def _prediction_row(p: Prediction) -> dict[str, Any]:
    return {
        "stance": p.stance,
        "stance_score": p.stance_scores[p.stance],
        "stance_scores": p.stance_scores,
        "rhetoric": list(p.rhetoric),
        "rhetoric_scores": p.rhetoric_scores,
        "spans": [
            {"start": s.start, "end": s.end, "text": s.text, "technique": s.technique, "score": s.score}
            for s in p.spans
        ],
        "error": None,
    }


def _quote_row(q: Quote) -> dict[str, Any]:
    row = {k: getattr(q, k) for k in QUOTE_BASE}
    p = q.prediction
    return row | {"stance": p.stance, "stance_score": p.stance_scores[p.stance], "rhetoric": list(p.rhetoric)}


def _check_batch_size(batch_size: Any) -> None:
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")


def _locate(model: str | None) -> str | None:
    """The model as this worker sees it: a path here, else a name shipped with --archives/addFile, else as given
    (an MLflow URI, or a path that stance.resolve reports as missing)."""
    if model is None or ":/" in model or Path(model).expanduser().exists():
        return model
    try:
        from pyspark import SparkFiles

        shipped = Path(SparkFiles.get(model))
    except Exception:  # not inside Spark, or no SparkFiles root yet
        return model
    return str(shipped) if shipped.exists() else model


def _worker_predictor(model: str | None) -> Any:
    """The worker's cached Predictor, with torch on one thread per core of the task (spark.task.cpus)."""
    import torch
    from pyspark import TaskContext

    from stance.predict import cached_predictor

    context = TaskContext.get()
    torch.set_num_threads(max(1, context.cpus() if context is not None else 1))
    located = _locate(model)
    return cached_predictor(located)


def predict_parquet(
    spark: Any,
    src: str,
    dst: str,
    *,
    text_column: str = "text",
    model: str | None = None,
    batch_size: int = 64,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Label `src`'s text column into `dst` (Parquet, the input columns then `PREDICT_FIELDS`), streaming
    partition by partition (nothing is collected to the driver); returns row and error counts."""
    df = _read(spark, src, text_column, PREDICT_FIELDS)
    labelled = _spread(spark, df).withColumn(
        "_stance", predict_udf(model, batch_size=batch_size)(text_column)
    )
    out = labelled.select(*[f"`{c}`" for c in df.columns], "_stance.*")
    return _write(spark, out, dst, overwrite)


def analyze_parquet(
    spark: Any,
    src: str,
    dst: str,
    *,
    text_column: str = "text",
    model: str | None = None,
    batch_size: int = 64,
    overwrite: bool = False,
) -> dict[str, Any]:
    """Find and label the quotes of `src`'s article column into `dst`: one row per quote (`quote_index`, then
    `QUOTE_FIELDS` prefixed `quote_`, beside the article's other columns); an article with no quotes or an
    `error` keeps one row with null quote fields."""
    from pyspark.sql import functions as F

    names = ("quote_index", *(f"quote_{f}" for f in QUOTE_FIELDS), "error")
    df = _read(spark, src, text_column, names)
    keep = [f"`{c}`" for c in df.columns if c != text_column]
    found = _spread(spark, df).withColumn("_r", analyze_udf(model, batch_size=batch_size)(text_column))
    rows = found.select(*keep, F.posexplode_outer("_r.quotes").alias("quote_index", "_q"), "_r.error")
    quote = [F.col(f"_q.{f}").alias(f"quote_{f}") for f in QUOTE_FIELDS]
    return _write(spark, rows.select(*keep, "quote_index", *quote, "error"), dst, overwrite)


def _read(spark: Any, src: str, text_column: str, added: Iterable[str]) -> Any:
    df = spark.read.parquet(str(src))
    if text_column not in df.columns:
        raise ValueError(
            f"{src} has no {text_column!r} column (columns: {df.columns}); name it with --text-column"
        )
    clash = sorted(set(df.columns) & set(added))
    if clash:
        raise ValueError(f"{src} already has columns {clash} that the output adds: rename or drop them first")
    return df


def _spread(spark: Any, df: Any, rows_per_task: int = 10 * ARROW_BATCH) -> Any:
    """Enough partitions for every core and a moving progress bar: one Parquet file of 100,000 statements is
    one row group, so one task on one core, unless it is spread (round robin; the row count is metadata)."""
    want = max(spark.sparkContext.defaultParallelism, math.ceil(df.count() / rows_per_task))
    return df.repartition(want) if df.rdd.getNumPartitions() < want else df


def _write(spark: Any, out: Any, dst: str, overwrite: bool) -> dict[str, Any]:
    out.write.mode("overwrite" if overwrite else "errorifexists").parquet(str(dst))
    written = spark.read.parquet(str(dst))
    by_error = {r["error"]: r["count"] for r in written.groupBy("error").count().collect()}
    rows = sum(by_error.values())
    return {"rows": rows, "errors": rows - by_error.get(None, 0), "by_error": by_error}
