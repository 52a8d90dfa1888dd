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
    assert seen == [{"quantize": True}]
    expected = real(tiny_model, quantize=True).predict("We will win.").to_dict()
    assert json.loads(capsys.readouterr().out) == expected


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


# ---------------------------------------------------------------- streaming across chunk boundaries


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr("stance.cli.CHUNK", 2)  # every file below spans several chunks


def _as_predicted(tiny_model, texts):
    import stance

    return [p.to_dict() for p in stance.load(tiny_model).predict(texts)]


def _assert_same_predictions(rows: list[dict], expected: list[dict]) -> None:
    """Labels and spans equal; scores equal up to the float noise of other batch compositions (padding)."""
    assert len(rows) == len(expected)
    for row, exp in zip(rows, expected, strict=True):
        assert {k: row[k] for k in ("text", "stance", "rhetoric")} == {
            k: exp[k] for k in ("text", "stance", "rhetoric")
        }
        assert [(s["start"], s["end"], s["technique"]) for s in row["spans"]] == [
            (s["start"], s["end"], s["technique"]) for s in exp["spans"]
        ]
        for key in ("stance_scores", "rhetoric_scores"):
            assert row[key] == pytest.approx(exp[key], abs=1e-5)


def test_csv_stream_with_field_multiline_and_empty_rows(tiny_model, tmp_path, capsys, small_chunks):
    src = tmp_path / "in.csv"
    src.write_text(
        'id,body\n'
        'a,"We will win, whatever they say."\n'
        'b,"A statement\nover two lines."\n'
        '\n'
        'c,\n'
        'd,They lied to us again.\n'
        'e,Talks resume on Monday.\n'
        'f,"He said ""never"" twice."\n',
        encoding="utf-8",
    )  # fmt: skip
    out = tmp_path / "out.jsonl"
    assert (
        main(["predict", "--model", str(tiny_model), "--field", "body", "-i", str(src), "-o", str(out)]) == 1
    )
    err = capsys.readouterr().err
    assert "in.csv:6: skipped: empty 'body'" in err and "5 statements labelled, 1 skipped" in err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    texts = [
        "We will win, whatever they say.",
        "A statement\nover two lines.",
        "They lied to us again.",
        "Talks resume on Monday.",
        'He said "never" twice.',
    ]
    # a row's line number is where it starts; the multi-line row makes the later ones one line further on
    assert [(r["line"], r["id"]) for r in rows] == [(2, "a"), (3, "b"), (7, "d"), (8, "e"), (9, "f")]
    _assert_same_predictions(rows, _as_predicted(tiny_model, texts))


def test_stdin_stream_to_csv(tiny_model, tmp_path, monkeypatch, small_chunks):
    import io

    lines = ["We will win.", "", "They lied to us.", "Talks resume.", "   ", "Prices will fall.", "No."]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    out = tmp_path / "x.csv"
    assert main(["predict", "--model", str(tiny_model), "-i", "-", "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    texts = [t for t in lines if t.strip()]
    assert [(r["line"], r["text"]) for r in rows] == list(zip(["1", "3", "4", "6", "7"], texts, strict=True))
    for row, expected in zip(rows, _as_predicted(tiny_model, texts), strict=True):
        assert row["stance"] == expected["stance"]
        assert row["rhetoric"] == ";".join(expected["rhetoric"])
        scores = [expected["stance_scores"][s] for s in STANCES]  # written to 4 decimals
        assert [float(row[f"score_{s}"]) for s in STANCES] == pytest.approx(scores, abs=5.1e-5)


ARTICLE = 'The mayor said: "We will not back down." Critics called the plan "a farce", the paper reported.\n'


def test_analyze_stdin_json(tiny_model, monkeypatch, capsys):
    import io

    import stance

    monkeypatch.setattr("sys.stdin", io.StringIO(ARTICLE))
    assert main(["analyze", "--model", str(tiny_model), "--format", "json", "-"]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    expected = [q.to_dict() for q in stance.analyze(ARTICLE, model=tiny_model)]
    assert printed == expected and len(expected) == 2
    assert printed[0]["text"] == "We will not back down." and printed[0]["speaker"] == "The mayor"


def test_analyze_many_to_csv(tiny_model, tmp_path, small_chunks):
    import stance

    src = tmp_path / "arts.jsonl"
    src.write_text(
        json.dumps({"id": "one", "text": ARTICLE})
        + "\n\n"
        + json.dumps({"id": "two", "text": '"Prices will fall," Ms Lee said.'})
        + "\n"
    )
    out = tmp_path / "x.csv"
    assert main(["analyze", "--model", str(tiny_model), "-i", str(src), "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    expected = [("1", "one", q) for q in stance.analyze(ARTICLE, model=tiny_model)] + [
        ("3", "two", q) for q in stance.analyze('"Prices will fall," Ms Lee said.', model=tiny_model)
    ]
    assert [(r["line"], r["article_id"], r["text"], r["speaker"]) for r in rows] == [
        (line, rid, q.text, q.speaker or "") for line, rid, q in expected
    ]
    assert [r["stance"] for r in rows] == [q.prediction.stance for *_, q in expected]
    assert [int(r["start"]) for r in rows] == [q.start for *_, q in expected]
