"""The `stance` command line: `stance predict` for statements, `stance analyze` for whole articles."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from stance.labels import STANCES
from stance.types import QUOTE_FIELDS

EPILOG = """examples:
  stance predict "We will never surrender." "The vote is on Tuesday."
  stance predict -i statements.jsonl -o labelled.jsonl      # also .txt (one per line) and .csv (a text column)
  stance analyze article.txt                                # quotes, speakers, stances as a table
  stance analyze -i articles.jsonl -o quotes.jsonl          # many articles, one JSON object per line
  cat articles.jsonl | stance analyze -i - --input-format jsonl    # JSON lines on stdin
  stance spark predict in.parquet out.parquet --master 'local[*]'   # Parquet through Spark (the spark extra)
  stance serve --port 8000                                  # the web page and REST API on 127.0.0.1:8000

model: --model DIR or models:/stance@champion, else $STANCE_MODEL, else the default exported by `make train`.
Bad rows are reported on stderr with their line number and skipped; the rest are written (exit status 1)."""

CHUNK = 512
QUOTE_COLUMNS = ["line", "article_id", *QUOTE_FIELDS]


class BadRow(ValueError):
    pass


INPUT_FORMATS = ("txt", "jsonl", "csv")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl"}


def input_format(path: Path, given: str | None) -> str:
    """`--input-format` if given, else from the suffix (.csv, .jsonl/.json/.ndjson, anything else .txt)."""
    if given is not None:
        return given
    return "txt" if str(path) == "-" else _SUFFIXES.get(path.suffix.lower(), "txt")


def _rows(path: Path, field: str, fmt: str | None = None) -> Iterator[tuple[int, str | None, Any]]:
    """Yield (line number, id, text or BadRow) from .txt, .jsonl or .csv, streaming.

    Files are read as UTF-8 with an optional byte-order mark (spreadsheets export CSV with one).
    """
    kind = input_format(path, fmt)
    stream: TextIO = sys.stdin if str(path) == "-" else open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 (closed below)
    with stream:
        lines = _without_bom(stream)
        if kind == "csv":
            reader = csv.reader(lines)
            header = next(reader, None) or []
            if field not in header:
                raise SystemExit(f"error: {path} has no {field!r} column (columns: {header})")
            while True:
                first_line = reader.line_num + 1  # a quoted field can span lines: report where the row starts
                values = next(reader, None)
                if values is None:
                    break
                if not values:  # a blank line
                    continue
                row = dict(zip(header, values, strict=False))
                text = row.get(field)
                yield (
                    first_line,
                    row.get("id"),
                    text if text and text.strip() else BadRow(f"empty {field!r}"),
                )
        elif kind == "jsonl":
            for lineno, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    yield lineno, None, BadRow(f"invalid JSON ({e.msg} at column {e.colno})")
                    continue
                if not isinstance(obj, dict):
                    yield lineno, None, BadRow(f"expected a JSON object with a {field!r} field")
                    continue
                text = obj.get(field)
                if not isinstance(text, str) or not text.strip():
                    yield lineno, obj.get("id"), BadRow(f"{field!r} must be a non-empty string, got {text!r}")
                    continue
                yield lineno, obj.get("id"), text
        else:  # plain text: one statement per non-empty line
            for lineno, line in enumerate(lines, 1):
                if line.strip():
                    yield lineno, None, line.rstrip("\r\n")


def _without_bom(stream: TextIO) -> Iterator[str]:
    """The lines of stream, without a byte-order mark on the first (stdin is decoded without utf-8-sig)."""
    for i, line in enumerate(stream):
        yield line.removeprefix("\ufeff") if i == 0 else line


def _good_rows(
    path: Path, field: str, bad: list[int], fmt: str | None = None
) -> Iterator[tuple[int, str | None, str]]:
    """The rows that hold text; each bad one is reported on stderr with its line number and kept in `bad`."""
    for lineno, rid, text in _rows(path, field, fmt):
        if isinstance(text, BadRow):
            bad.append(lineno)
            print(f"{path}:{lineno}: skipped: {text}", file=sys.stderr)
            continue
        yield lineno, rid, text


class _Writer:
    """JSONL or CSV output, flushed chunk by chunk."""

    def __init__(self, path: Path | None, columns: list[str]):
        self.kind = "csv" if path and path.suffix.lower() == ".csv" else "jsonl"
        self.stream = open(path, "w", encoding="utf-8", newline="") if path else sys.stdout  # noqa: SIM115 (close())
        self.csv = None
        self.columns = columns + ["stance", "rhetoric"] + [f"score_{s}" for s in STANCES]

    def write(self, row: dict[str, Any]) -> None:
        if self.kind == "jsonl":
            self.stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        flat = _flatten(row)
        if self.csv is None:
            self.csv = csv.DictWriter(self.stream, fieldnames=self.columns, extrasaction="ignore")
            self.csv.writeheader()
        self.csv.writerow(flat)

    def close(self) -> None:
        self.stream.flush()
        if self.stream is not sys.stdout:
            self.stream.close()


def _flatten(row: dict[str, Any]) -> dict[str, Any]:
    pred = row.get("prediction", row)
    flat = {k: v for k, v in row.items() if not isinstance(v, (dict, list)) and k != "prediction"}
    flat["stance"] = pred["stance"]
    flat["rhetoric"] = ";".join(pred["rhetoric"])
    flat.update({f"score_{s}": round(pred["stance_scores"][s], 4) for s in STANCES})
    return flat


def _table(rows: list[tuple[str, ...]], headers: tuple[str, ...], widths: tuple[int, ...]) -> str:
    def cut(v: str, w: int) -> str:
        v = " ".join(str(v).split())
        return v if len(v) <= w else v[: w - 1] + "…"

    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(cut(v, w).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _progress(total: int | None, unit: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr, disable=None, dynamic_ncols=True)


def cmd_predict(args: argparse.Namespace) -> int:
    from stance.predict import load

    if not args.texts and not args.input:
        raise SystemExit("error: give statements as arguments or a file with -i (see stance predict --help)")
    predictor = load(args.model, quantize=args.int8)
    if args.texts:
        preds = predictor.predict(args.texts, batch_size=args.batch_size)
        if args.format == "json":
            for p in preds:
                print(json.dumps(p.to_dict(), ensure_ascii=False))
        else:
            rows = [
                (p.stance, f"{p.stance_scores[p.stance]:.2f}", ", ".join(p.rhetoric) or "—", p.text)
                for p in preds
            ]
            print(_table(rows, ("stance", "score", "rhetoric", "text"), (12, 5, 34, 70)))
        return 0
    writer, bad, done = _Writer(args.output, ["line", "id", "text"]), [], 0
    bar = _progress(None, "stmt")
    chunk: list[tuple[int, str | None, str]] = []

    def flush() -> None:
        nonlocal done
        if not chunk:
            return
        for (lineno, rid, _), p in zip(
            chunk, predictor.predict([t for *_, t in chunk], batch_size=args.batch_size), strict=True
        ):
            writer.write({"line": lineno, **({"id": rid} if rid is not None else {}), **p.to_dict()})
        bar.update(len(chunk))
        done += len(chunk)
        chunk.clear()

    try:
        for lineno, rid, text in _good_rows(args.input, args.field, bad, args.input_format):
            chunk.append((lineno, rid, text))
            if len(chunk) >= CHUNK:
                flush()
        flush()
    finally:
        bar.close()
        writer.close()
    print(
        f"{done} statements labelled, {len(bad)} skipped" + (f" -> {args.output}" if args.output else ""),
        file=sys.stderr,
    )
    return 1 if bad else 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from stance.article import analyze

    if args.input is None and args.article is None:
        raise SystemExit("error: give an article file (or - for stdin), or -i articles.jsonl")
    if args.article is not None:
        path = args.article
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        quotes = analyze(text, model=args.model, batch_size=args.batch_size)
        if args.format == "json":
            for q in quotes:
                print(json.dumps(q.to_dict(), ensure_ascii=False))
        else:
            rows = [
                (q.speaker or "?", q.prediction.stance, ", ".join(q.prediction.rhetoric) or "—", q.text)
                for q in quotes
            ]
            print(_table(rows, ("speaker", "stance", "techniques", "quote"), (26, 12, 30, 70)))
        return 0
    writer, bad, n_articles = _Writer(args.output, QUOTE_COLUMNS), [], 0
    bar = _progress(None, "article")
    try:
        for lineno, rid, text in _good_rows(args.input, args.field, bad, args.input_format):
            for q in analyze(text, model=args.model, batch_size=args.batch_size):
                writer.write(
                    {"line": lineno, **({"article_id": rid} if rid is not None else {}), **q.to_dict()}
                )
            n_articles += 1
            bar.update(1)
    finally:
        bar.close()
        writer.close()
    print(f"{n_articles} articles analysed, {len(bad)} skipped", file=sys.stderr)
    return 1 if bad else 0


def cmd_spark(args: argparse.Namespace) -> int:
    import warnings

    # pyspark 4 warns on import that it does not fully support pandas 3; tests/test_spark.py checks the UDFs.
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    try:
        from stance import spark as stance_spark
    except ImportError as e:
        raise SystemExit(
            f"error: {e}: `stance spark` needs the spark extra: pip install 'stance[spark]'"
        ) from e
    conf = {}
    for item in args.conf:
        key, eq, value = item.partition("=")
        if not eq:
            raise SystemExit(f"error: --conf expects KEY=VALUE, got {item!r}")
        conf[key] = value
    from pyspark.errors import AnalysisException
    from pyspark.sql import SparkSession

    owned = SparkSession.getActiveSession() is None  # inside a running application, leave its session be
    session = stance_spark.session(args.master, app=f"stance spark {args.spark_command}", conf=conf)
    run = stance_spark.predict_parquet if args.spark_command == "predict" else stance_spark.analyze_parquet
    model = args.model
    if model and args.master.startswith("local") and Path(model).expanduser().exists():
        model = str(Path(model).expanduser().resolve())  # local workers need not share the driver's cwd
    try:
        counts = run(
            session,
            str(args.input),
            str(args.output),
            text_column=args.text_column,
            model=model,
            batch_size=args.batch_size,
            overwrite=args.overwrite,
        )
    except AnalysisException as e:  # e.g. the output exists, the input is not Parquet
        hint = " (--overwrite replaces it)" if "already exists" in str(e) else ""
        print(f"error: {str(e).splitlines()[0]}{hint}", file=sys.stderr)
        return 2
    finally:
        if owned:
            session.stop()
    for error, n in sorted((e, n) for e, n in counts["by_error"].items() if e is not None):
        print(f"{args.input}: {n} rows without labels: {error}", file=sys.stderr)
    print(
        f"{counts['rows']} rows written, {counts['errors']} with an error -> {args.output}", file=sys.stderr
    )
    return 1 if counts["errors"] else 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from stance.serve import serve
    except ImportError as e:
        raise SystemExit(
            f"error: `stance serve` needs the serve extra ({e}): pip install 'stance[serve]'"
        ) from None

    serve(args.model, host=args.host, port=args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from stance import __version__

    parser = argparse.ArgumentParser(
        prog="stance",
        description="Label quoted statements in the news by stance and propaganda technique.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"stance {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--model", help="model directory or MLflow URI (default: $STANCE_MODEL, then make train's export)"
    )
    common.add_argument("--batch-size", type=int, default=64, help="statements per forward pass (default 64)")
    common.add_argument(
        "--format", choices=("table", "json"), default="table", help="output for arguments/one article"
    )
    common.add_argument(
        "-o", "--output", type=Path, help="output file, .jsonl or .csv (default: JSON lines on stdout)"
    )
    common.add_argument(
        "--field", default="text", help="the text field/column in .jsonl/.csv input (default: text)"
    )
    common.add_argument(
        "--input-format",
        choices=INPUT_FORMATS,
        help="how to read -i: txt, jsonl or csv (default: from the suffix; txt for - on stdin)",
    )
    p = sub.add_parser(
        "predict",
        parents=[common],
        help="label statements",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("texts", nargs="*", help="statements to label")
    p.add_argument(
        "-i", "--input", type=Path, help="statements file: .txt (one per line), .jsonl or .csv; - for stdin"
    )
    p.add_argument(
        "--int8",
        action="store_true",
        help="the int8 fast path (stance/quantize.py): faster on CPU, a few labels differ (README, Speed)",
    )
    p.set_defaults(func=cmd_predict)
    a = sub.add_parser(
        "analyze",
        parents=[common],
        help="find quotes and speakers in articles and label them",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    a.add_argument("article", nargs="?", type=Path, help="an article as a text file (- for stdin)")
    a.add_argument(
        "-i",
        "--input",
        type=Path,
        help="many articles: .jsonl with a text field (one article per line); - for stdin",
    )
    a.set_defaults(func=cmd_analyze)
    sp = sub.add_parser(
        "spark",
        help="label a Parquet dataset through Apache Spark (the spark extra; Java 17)",
        description="Label Parquet with Spark, streaming partition by partition; Spark's progress is on stderr. "
        "Rows that cannot be labelled (null, empty, not a string) keep an `error` and the job goes on.",
    )
    ssub = sp.add_subparsers(dest="spark_command", required=True)
    spark_common = argparse.ArgumentParser(add_help=False)
    spark_common.add_argument("input", type=Path, help="input Parquet file or folder")
    spark_common.add_argument("output", type=Path, help="output Parquet folder")
    spark_common.add_argument("--text-column", default="text", help="the text column (default: text)")
    spark_common.add_argument("--master", default="local[*]", help="Spark master (default: local[*])")
    spark_common.add_argument(
        "--model",
        help="model directory or MLflow URI, as the workers see it (default: $STANCE_MODEL, then make train's export)",
    )
    spark_common.add_argument(
        "--batch-size", type=int, default=64, help="statements per forward pass (default 64)"
    )
    spark_common.add_argument("--overwrite", action="store_true", help="replace the output if it exists")
    spark_common.add_argument(
        "--conf", action="append", default=[], metavar="KEY=VALUE", help="a Spark setting (repeatable)"
    )
    ssub.add_parser(
        "predict",
        parents=[spark_common],
        help="label each row's statement: input columns + stance, scores, error",
    )
    ssub.add_parser(
        "analyze", parents=[spark_common], help="find and label each article's quotes: one row per quote"
    )
    sp.set_defaults(func=cmd_spark)
    s = sub.add_parser(
        "serve",
        help="the analysts' web page and the REST API (needs the serve extra)",
        description="Serve the web page (/), the REST API (/v1/predict, /v1/analyze, /healthz) and its docs "
        "(/docs) over one model, loaded once at start-up.",
    )
    s.add_argument(
        "--model", help="model directory or MLflow URI (default: $STANCE_MODEL, then make train's export)"
    )
    s.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    s.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    s.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (FileNotFoundError, TypeError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
