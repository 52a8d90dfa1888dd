"""What the model reads for a quote in its article, and how real-quote labels enter training."""

from __future__ import annotations

import json

import pytest

from stance.context import FORMATS, quote_input

ARTICLE = (
    "The senator spoke in Dayton on Friday. Democrats accused the GOP of stoking the issue for votes. "
    '"We will not back down," Mr Hale said, adding that talks could resume.\nA new line starts here.'
)


def _at(text: str, piece: str) -> tuple[int, int]:
    start = text.index(piece)
    return start, start + len(piece)


def test_indirect_speech_keeps_its_cue_inside_the_sentence():
    s, e = _at(ARTICLE, "the GOP of stoking the issue for votes")
    assert quote_input(ARTICLE, s, e, fmt="span") == "the GOP of stoking the issue for votes"
    assert (
        quote_input(ARTICLE, s, e, fmt="sentence")
        == "Democrats accused the GOP of stoking the issue for votes."
    )
    assert quote_input(ARTICLE, s, e) == "Democrats accused [Q]the GOP of stoking the issue for votes[/Q]."
    assert (
        quote_input(ARTICLE, s, e, fmt="marked_speaker", speaker="Democrats")
        == "Democrats | Democrats accused [Q]the GOP of stoking the issue for votes[/Q]."
    )


def test_a_cue_in_the_next_sentence_widens_the_window():
    s, e = _at(ARTICLE, "The senator spoke in Dayton on Friday")
    cue = _at(ARTICLE, "accused")
    got = quote_input(ARTICLE, s, e, cue=cue)
    assert got.startswith("[Q]The senator spoke in Dayton on Friday[/Q].") and "accused" in got


def test_line_breaks_become_spaces_and_long_context_is_clipped():
    s, e = _at(ARTICLE, "talks could resume")
    assert "\n" not in quote_input(ARTICLE, s, e)
    long = "word " * 400 + "He said the plan failed. " + "tail " * 400
    s, e = _at(long, "the plan failed")
    got = quote_input(long, s, e)
    assert "[Q]the plan failed[/Q]" in got and len(got) < 700


def test_bad_arguments_name_what_was_wrong():
    with pytest.raises(ValueError, match="fmt must be one of"):
        quote_input(ARTICLE, 0, 5, fmt="bare")
    with pytest.raises(ValueError, match=r"outside the article \(length"):
        quote_input(ARTICLE, 10, 10_000)
    assert len(FORMATS) == 4


def test_corpus_reporting_sentences_are_marked_and_spans_move_with_the_text():
    from training.sources import marked

    text = 'Hale called the deal "a total disgrace" on Monday.'
    s, e = _at(text, "a total disgrace")
    ts, te = _at(text, "total disgrace")
    record = {
        "text": text,
        "quote": {"start": s, "end": e},
        "spans": [{"start": ts, "end": te, "technique": "t"}],
    }
    got = marked(record, "marked")
    assert got["text"] == 'Hale called the deal "[Q]a total disgrace[/Q]" on Monday.'
    span = got["spans"][0]
    assert got["text"][span["start"] : span["end"]] == "total disgrace"
    assert got["text"][got["quote"]["start"] : got["quote"]["end"]] == "a total disgrace"
    assert marked(record, "span") is record and marked({"text": "x", "spans": []}, "marked")["text"] == "x"


def test_folds_are_stable_and_split_by_document():
    from training.data.candidates import fold_of

    folds = [fold_of("liar", f"{i}.json") for i in range(2000)]
    assert fold_of("liar", "7.json") == fold_of("liar", "7.json")
    share = {f: folds.count(f) / len(folds) for f in ("train", "dev", "test")}
    assert 0.07 < share["dev"] < 0.13 and 0.07 < share["test"] < 0.13 and share["train"] > 0.74


def test_label_files_are_checked(tmp_path):
    from training.data.merge_labels import read_labels

    good = tmp_path / "a.tsv"
    good.write_text("c00001\tneutral\nc00002\tskip\n")
    assert read_labels([good]) == {"c00001": "neutral", "c00002": "skip"}
    bad = tmp_path / "b.tsv"
    bad.write_text("c00003\tangry\n")
    with pytest.raises(ValueError, match=r"b.tsv:1: expected 'cid<TAB>label'"):
        read_labels([bad])
    clash = tmp_path / "c.tsv"
    clash.write_text("c00001\taccusatory\n")
    with pytest.raises(ValueError, match="c00001 already labelled 'neutral'"):
        read_labels([good, clash])


def test_standoff_records_carry_fold_pool_and_marked_text():
    from training.data.schema import DATA_DIR
    from training.external import available

    if not available("polnear"):
        pytest.skip("STANCE_EXTERNAL_DIR is not set: the stand-off text cannot be rebuilt")
    from training.data.standoff import load_standoff

    path = DATA_DIR / "standoff" / "liar_train.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    records = load_standoff(path, fmt="marked")
    assert len(records) == len(rows)
    assert {r["fold"] for r in records} == {"train", "dev", "test"}
    assert all(r["text"].startswith("[Q]") and r["text"].endswith("[/Q]") for r in records)
    assert {r["pool"] for r in records} >= {"natural"}
    for r in load_standoff(DATA_DIR / "standoff" / "polnear_dev.jsonl", fmt="marked")[:50]:
        assert "[Q]" in r["text"] and "[/Q]" in r["text"] and r["spans"] == [] and not r["spans_known"]
