"""The command line: arguments, files with bad rows, CSV, analyze, help."""

import csv
import json

import pytest

from stance.cli import main
from stance.labels import STANCES


def test_help_documents_everything(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "stance predict -i statements.jsonl" in out and "stance analyze" in out and "STANCE_MODEL" in out


def test_predict_arguments_table_and_json(tiny_model, capsys):
    assert main(["predict", "--model", str(tiny_model), "We will win.", "Talks resume Monday."]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["stance", "score", "rhetoric", "text"] and len(out) == 3
    assert main(["predict", "--model", str(tiny_model), "--format", "json", "We will win."]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "We will win."


def test_predict_int8(tiny_model, capsys, monkeypatch):
    import importlib

    module = importlib.import_module("stance.predict")  # the attribute stance.predict is the function
    seen = []
    real = module.load
    monkeypatch.setattr(module, "load", lambda *a, **k: seen.append(k) or real(*a, **k))
    assert main(["predict", "--model", str(tiny_model), "--int8", "--format", "json", "We will win."]) == 0
    assert json.loads(capsys.readouterr().out)["stance"] in STANCES
    assert seen == [{"quantize": True}]


def test_predict_file_reports_bad_rows_and_keeps_the_rest(tiny_model, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"text": "We will win."}\n{"text": ""}\nnot json\n{"id": 7, "text": "Talks resume."}\n[1]\n'
    )
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--model", str(tiny_model), "-i", str(src), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "in.jsonl:2: skipped" in err and "in.jsonl:3: skipped: invalid JSON" in err and "in.jsonl:5" in err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["line"], r.get("id")) for r in rows] == [(1, None), (4, 7)]
    assert rows[1]["text"] == "Talks resume." and rows[1]["stance"]


def test_predict_txt_to_csv(tiny_model, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text('First statement.\n\nSecond, "quoted", statement.\n')
    out = tmp_path / "out.csv"
    assert main(["predict", "--model", str(tiny_model), "-i", str(src), "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["line"] for r in rows] == ["1", "3"] and rows[1]["text"] == 'Second, "quoted", statement.'
    assert {"stance", "rhetoric", "score_neutral"} <= set(rows[0])


def test_csv_input_needs_text_column(tiny_model, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("id,body\n1,hello\n")
    with pytest.raises(SystemExit, match="has no 'text' column"):
        main(["predict", "--model", str(tiny_model), "-i", str(src)])


def test_analyze_article_and_many(tiny_model, tmp_path, capsys):
    article = tmp_path / "a.txt"
    article.write_text('"We will not back down," the mayor said on Friday.\n')
    assert main(["analyze", "--model", str(tiny_model), str(article)]) == 0
    out = capsys.readouterr().out
    assert "the mayor" in out and "We will not back down" in out
    many = tmp_path / "arts.jsonl"
    many.write_text(
        '{"id": "a", "text": "\\"Prices will fall,\\" Ms Lee said."}\n{broken\n{"id": "c", "text": "No quotes here."}\n'
    )
    out_path = tmp_path / "q.jsonl"
    assert main(["analyze", "--model", str(tiny_model), "-i", str(many), "-o", str(out_path)]) == 1
    assert "arts.jsonl:2: skipped" in capsys.readouterr().err
    rows = [json.loads(line) for line in out_path.read_text().splitlines()]
    assert [r["article_id"] for r in rows] == ["a"] and rows[0]["speaker"] == "Ms Lee"
    assert rows[0]["prediction"]["stance"]


def test_missing_model_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STANCE_HOME", str(tmp_path))
    monkeypatch.delenv("STANCE_MODEL", raising=False)
    assert main(["predict", "x"]) == 2
    assert "Run `make train`" in capsys.readouterr().err


def test_csv_with_a_byte_order_mark(tiny_model, tmp_path):
    """A spreadsheet's CSV export starts with a BOM: its first column was read as '\\ufefftext' and refused."""
    src = tmp_path / "in.csv"
    src.write_bytes("text,id\nWe will win.,a\n".encode("utf-8-sig"))
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--model", str(tiny_model), "-i", str(src), "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["text"], r["id"]) for r in rows] == [("We will win.", "a")]


def test_jsonl_on_stdin(tiny_model, tmp_path, monkeypatch):
    import io

    lines = (
        '\ufeff{"id": "a", "text": "\\"Prices will fall,\\" Ms Lee said."}\n{"id": "b", "text": "None."}\n'
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    out = tmp_path / "q.jsonl"
    args = ["analyze", "--model", str(tiny_model), "-i", "-", "--input-format", "jsonl", "-o", str(out)]
    assert main(args) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["article_id"], r["speaker"]) for r in rows] == [("a", "Ms Lee")]
    monkeypatch.setattr("sys.stdin", io.StringIO('{"text": "We will win."}\n'))
    args = ["predict", "--model", str(tiny_model), "-i", "-", "--input-format", "jsonl", "-o", str(out)]
    assert main(args) == 0
    assert json.loads(out.read_text())["text"] == "We will win."


def test_analyze_article_written_one_sentence_per_line(tiny_model, capsys):
    """The PTC article format: a quote over a line break is one quote with the speaker after it."""
    from pathlib import Path

    article = Path(__file__).parent / "fixtures" / "line-per-sentence-article.txt"
    assert main(["analyze", "--model", str(tiny_model), "--format", "json", str(article)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    direct = [(r["text"].split("\n")[0], r["speaker"]) for r in rows if r["kind"] == "direct"]
    assert direct == [
        ("We have lived through worse than this.", "the 24-year-old"),
        ("People here have lost everything.", "Governor Ana Reyes"),
    ]
