"""Tests for `make eval-external`: the table writer, the TC helpers, and the quick path on a tiny encoder."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from stance.labels import TECHNIQUES
from training.config import load_config
from training.eval_external import END, START, eval_stance, main, write_table
from training.external import available
from training.external.ptc import hold_out_articles
from training.tc import assign, marked, side_features


def _example(article: str, start: int, end: int, text: str, technique: str = "doubt", reps: int = 1) -> dict:
    return {"article_id": article, "start": start, "end": end, "text": text, "technique": technique,
            "repetitions": reps, "sentence": text, "sentence_start": start}  # fmt: skip


def test_write_table_replaces_only_between_markers(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(f"# Title\n\nintro\n\n{START}\nold table\n{END}\n\n## After\n", encoding="utf-8")
    write_table(path, "| new |\n")
    assert path.read_text() == f"# Title\n\nintro\n\n{START}\n| new |\n{END}\n\n## After\n"
    fresh = write_table(tmp_path / "docs" / "external_table.md", "| t |\n")
    assert fresh.read_text() == f"{START}\n| t |\n{END}\n"


def test_marked_clips_context_and_keeps_the_span():
    sentence = "x" * 500 + " loaded words " + "y" * 500
    example = {"sentence": sentence, "sentence_start": 100, "start": 601, "end": 613}
    text = marked(example)
    assert "[S] loaded words [/S]" in text
    assert len(text) < 500


def test_assign_gives_repeated_spans_distinct_techniques():
    examples = [_example("a", 0, 5, "abc"), _example("a", 0, 5, "abc"), _example("a", 9, 12, "def")]
    probs = np.zeros((3, len(TECHNIQUES)))
    probs[:, 0], probs[:, 1] = 0.6, 0.3
    labels = assign(examples, probs)
    assert labels == [TECHNIQUES[0], TECHNIQUES[1], TECHNIQUES[0]]


def test_side_features_count_repeats_among_span_positions():
    examples = [
        _example("a", 0, 5, "Evil"),
        _example("a", 0, 5, "Evil"),
        _example("a", 20, 25, "evil", reps=2),
    ]
    feats = side_features(examples)
    # the span listed twice at one position is one position; "evil" at 20 makes two positions with that text
    assert feats[0, 3] == 1.0 and feats[0, 2] == pytest.approx(np.log1p(1))
    assert feats[2, 1] == 1.0 and feats[0, 1] == 0.0


def test_hold_out_articles_holds_out_whole_articles():
    examples = [_example(str(a), k, k + 1, "w") for a in range(20) for k in range(3)]
    train, valid = hold_out_articles(examples, "article_id", 0.1, 13)
    assert len(valid) == 6 and not {e["article_id"] for e in train} & {e["article_id"] for e in valid}
    # sentences (doc_id) and span examples (article_id) of the same articles are held out alike
    sentences = [{"doc_id": e["article_id"]} for e in examples]
    _, held = hold_out_articles(sentences, "doc_id", 0.1, 13)
    assert {s["doc_id"] for s in held} == {e["article_id"] for e in valid}
    assert hold_out_articles(examples, "article_id", 0.0, 13) == (examples, [])


def test_ptc_tc_config_needs_a_validation_share():
    with pytest.raises(ValueError, match="ptc_validation_share: the ptc_tc model"):
        load_config("configs/ptc_tc.yaml", {"ptc_validation_share": 0.0})


def test_stance_row_is_skipped_without_a_model(tmp_path, monkeypatch):
    monkeypatch.setenv("STANCE_HOME", str(tmp_path))
    monkeypatch.delenv("STANCE_MODEL", raising=False)
    assert "no stance model found" in eval_stance(None, quick=True)["skipped"]


def test_needs_the_external_dir(monkeypatch, capsys):
    monkeypatch.delenv("STANCE_EXTERNAL_DIR", raising=False)
    assert main(["--quick"]) == 2
    assert "STANCE_EXTERNAL_DIR is not set" in capsys.readouterr().err


@pytest.mark.skipif(
    not (available("semeval2020-task11-ptc") and available("polnear")),
    reason="PTC and PolNeAR not found: set STANCE_EXTERNAL_DIR to the folder holding them",
)
def test_quick_path_on_a_tiny_encoder(tiny_encoder, tiny_model, tmp_path):
    out, results = tmp_path / "table.md", tmp_path / "external.json"
    args = ["--quick", "--encoder", str(tiny_encoder), "--model", str(tiny_model), "--out", str(out)]
    assert main([*args, "--results", str(results)]) == 0
    text = out.read_text()
    assert text.startswith(START) and text.rstrip().endswith(END) and "QUICK SMOKE RUN" in text
    rows = [line for line in text.splitlines() if line.startswith("| PTC") or line.startswith("| Stance")]
    assert len(rows) == 5
    for row in rows:
        first = re.findall(r"\d\.\d{3}", row.split("|")[3])
        assert first and all(0.0 <= float(v) <= 1.0 for v in first)
    # --only re-runs one row and keeps the others from the results file
    first_run = json.loads(results.read_text())
    assert main([*args, "--results", str(results), "--only", "stance"]) == 0
    again = json.loads(results.read_text())
    assert again["tc"] == first_run["tc"] and again["si_tagger"] == first_run["si_tagger"]
    assert [line for line in out.read_text().splitlines() if line.startswith("| PTC")] == rows[:4]


def test_only_needs_an_earlier_run(tmp_path, monkeypatch, capsys):
    if not available("semeval2020-task11-ptc"):
        pytest.skip("PTC not found: set STANCE_EXTERNAL_DIR")
    assert main(["--quick", "--only", "stance"]) == 2
    assert "--only with --quick needs --results" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="run `make eval-external` first"):
        main(["--quick", "--only", "stance", "--results", str(tmp_path / "none.json")])
    old = tmp_path / "old.json"
    old.write_text('{"tc": {}, "si": {}, "stance": {}}')
    with pytest.raises(SystemExit, match="has no si_tagger row: add --only si_tagger"):
        main(["--quick", "--only", "stance", "--results", str(old)])


def test_si_tagger_labels_and_decoding():
    from training.si import decode

    records = [{"text": "They are liars and thieves.", "doc_id": "a1", "doc_start": 100, "spans": []}]
    windows = [
        {"owner": 0, "offsets": [(0, 0), (0, 4), (5, 8), (9, 14), (15, 18), (19, 26), (26, 27), (0, 0)]}
    ]
    probs = [np.array([0.9, 0.1, 0.2, 0.8, 0.7, 0.9, 0.1, 0.9])]  # special tokens are never inside a span
    assert decode(records, windows, probs, 0.5) == [("a1", 109, 126)]
    probs = [np.array([0.0, 0.6, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])]
    assert decode(records, windows, probs, 0.5) == [("a1", 100, 104)]
    # a run that reaches the last token of a window is closed too
    windows = [{"owner": 0, "offsets": [(0, 4), (5, 8)]}]
    assert decode(records, windows, [np.array([0.1, 0.9])], 0.5) == [("a1", 105, 108)]


def test_si_tagger_windows_label_tokens_inside_gold_spans(tiny_encoder):
    from training.si import TokenTagger

    tagger = TokenTagger(tiny_encoder, max_length=16, stride=4, dropout=0.1)
    text = "They are liars and thieves, and everyone knows it. " * 3
    record = {"text": text, "spans": [{"start": 9, "end": 14, "technique": "name_calling"}]}
    windows = tagger.windows([record])
    assert len(windows) > 1 and {w["owner"] for w in windows} == {0}
    first = windows[0]
    inside = [text[a:b] for (a, b), y in zip(first["offsets"], first["labels"], strict=True) if y == 1]
    assert "".join(inside) == "liars"  # every word piece of the span, nothing else
    assert first["labels"][0] == -1 and first["labels"][-1] == -1  # [CLS] and [SEP] are not scored
    assert all(y in (0, -1) for w in windows[1:] for y in w["labels"])
