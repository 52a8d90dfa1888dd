"""Tests for `make eval-external`: the table writer, the TC helpers, and the quick path on a tiny encoder."""

from __future__ import annotations

import re

import numpy as np
import pytest

from stance.labels import TECHNIQUES
from training.config import load_config
from training.eval_external import END, START, eval_stance, main, write_table
from training.external import available
from training.tc import assign, marked, side_features, split_articles


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


def test_split_articles_holds_out_whole_articles():
    examples = [_example(str(a), k, k + 1, "w") for a in range(20) for k in range(3)]
    train, valid = split_articles(examples, 0.1, 13)
    assert len(valid) == 6 and not {e["article_id"] for e in train} & {e["article_id"] for e in valid}


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
    out = tmp_path / "table.md"
    assert (
        main(["--quick", "--encoder", str(tiny_encoder), "--model", str(tiny_model), "--out", str(out)]) == 0
    )
    text = out.read_text()
    assert text.startswith(START) and text.rstrip().endswith(END) and "QUICK SMOKE RUN" in text
    rows = [line for line in text.splitlines() if line.startswith("| PTC") or line.startswith("| Stance")]
    assert len(rows) == 4
    for row in rows:
        first = re.findall(r"\d\.\d{3}", row.split("|")[3])
        assert first and all(0.0 <= float(v) <= 1.0 for v in first)
