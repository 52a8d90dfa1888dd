"""The record schema, the validator (on the real data and on broken copies), the stand-off loader."""

import json
import shutil
from pathlib import Path

import pytest

from training.data.corpus import load_corpus, load_split
from training.data.schema import DATA_DIR, RecordError, check_record
from training.data.validate import validate
from training.external import ExternalDataMissing, external_dir

GOOD = {
    "id": "x",
    "text": "They are thugs.",
    "stance": "accusatory",
    "rhetoric": ["name_calling"],
    "source": "t",
    "spans": [{"start": 9, "end": 14, "technique": "name_calling"}],
}


def test_good_record_passes():
    check_record(GOOD)
    check_record({**GOOD, "stance": None, "rhetoric": None, "spans": []})  # unknown is allowed


@pytest.mark.parametrize(
    "change, message",
    [
        ({"stance": "angry"}, "stance: unknown label 'angry'"),
        ({"rhetoric": ["lies"]}, r"rhetoric: unknown technique\(s\) \['lies'\]"),
        ({"text": "  "}, "text: expected a non-empty string"),
        ({"spans": [{"start": 9, "end": 99, "technique": "name_calling"}]}, "not inside the text"),
        ({"spans": [{"start": 9, "end": 14, "technique": "doubt"}]}, "'doubt' is not listed in rhetoric"),
        ({"colour": "red"}, r"unknown field\(s\) \['colour'\]"),
    ],
)
def test_bad_records_name_the_field(change, message):
    with pytest.raises(RecordError, match=message):
        check_record({**GOOD, **change})


def test_missing_field():
    record = dict(GOOD)
    del record["source"]
    with pytest.raises(RecordError, match=r"missing field\(s\) \['source'\]"):
        check_record(record)


def test_project_data_is_valid():
    assert validate() == []


def test_splits_are_stratified_and_sized():
    sizes = {s: len(load_split(s)) for s in ("train", "dev", "test")}
    total = sum(sizes.values())
    assert total >= 3000
    assert abs(sizes["dev"] / total - 0.15) < 0.02 and abs(sizes["test"] / total - 0.15) < 0.02


def test_load_corpus_gives_a_datasetdict():
    corpus = load_corpus()
    assert set(corpus) == {"train", "dev", "test"}
    assert corpus["train"].num_rows == len(load_split("train"))
    row = corpus["dev"][0]
    assert row["stance"] is not None and isinstance(row["rhetoric"], list)


def _copy_data(tmp_path: Path) -> Path:
    shutil.copytree(DATA_DIR / "statements", tmp_path / "statements")
    return tmp_path


def test_validator_finds_leakage_duplicates_and_bad_lines(tmp_path):
    data = _copy_data(tmp_path)
    train = data / "statements" / "train.jsonl"
    first = json.loads(train.read_text().splitlines()[0])
    with open(data / "statements" / "test.jsonl", "a") as f:
        f.write(json.dumps({**first, "id": "leak-1", "text": first["text"] + " Indeed."}) + "\n")
        f.write(json.dumps({**first, "id": "bad-1", "stance": "angry"}) + "\n")
        f.write("{not json\n")
    problems = "\n".join(validate(data))
    assert "leakage across splits" in problems
    assert "stance: unknown label 'angry'" in problems
    assert "invalid JSON" in problems


def test_validator_finds_seed_leaks(tmp_path):
    data = _copy_data(tmp_path)
    with open(data / "statements" / "train.jsonl", "a") as f:
        rec = {
            "id": "seed-1",
            "text": "The Kyiv regime's adventure has failed completely.",
            "stance": "triumphal",
            "rhetoric": [],
            "spans": [],
            "source": "t",
        }
        f.write(json.dumps(rec) + "\n")
    assert any("seed fixture leak" in p for p in validate(data))


def _external_or_skip(corpus):
    try:
        return external_dir(corpus)
    except ExternalDataMissing as e:
        pytest.skip(str(e))


def test_standoff_rebuilds_every_quote():
    _external_or_skip("polnear")
    from training.data.standoff import load_standoff, standoff_files

    files = standoff_files()
    total = 0
    for path in files:
        records = load_standoff(path)
        total += len(records)
        for r in records:
            check_record(r)
    train = sum(len(load_standoff(p)) for p in files if "train" in p.name)
    assert train >= 1000
    assert total >= train + 300  # PolNeAR dev, held out


def test_squeezed_spans_follow_the_bare_quote_input():
    """PTC technique spans index the raw quote; the bare-span input collapses its whitespace runs."""
    from stance.context import quote_input
    from training.data.standoff import squeeze_spans

    raw = "  Say  it\n\n again,  loudly  "
    text = quote_input(raw, 0, len(raw), fmt="span")
    spans = [
        {"start": raw.index("it"), "end": raw.index("loudly") + 6, "technique": "a"},
        {"start": raw.index("again"), "end": len(raw), "technique": "b"},
        {"start": 0, "end": 2, "technique": "c"},  # only whitespace: gone
    ]
    out = squeeze_spans(raw, spans)
    assert [(text[x["start"] : x["end"]], x["technique"]) for x in out] == [
        ("it again, loudly", "a"),
        ("again, loudly", "b"),
    ]


def test_standoff_offset_mismatch_fails_loudly(tmp_path):
    _external_or_skip("polnear")
    from training.data.standoff import load_standoff

    row = json.loads((DATA_DIR / "standoff" / "polnear_train.jsonl").read_text().splitlines()[0])
    row["start"] += 3
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(row) + "\n")
    with pytest.raises(RecordError, match="bad.jsonl:1: offsets .* do not match"):
        load_standoff(bad)


def test_agreement_ids_follow_a_rebuild(tmp_path):
    from training.data.corpus import read_jsonl, remap_agreement

    (tmp_path / "sample.jsonl").write_text(
        '{"id": "train-00001", "text": "We won."}\n{"id": "dev-00002", "text": "Talks now."}\n'
    )
    (tmp_path / "second_pass.jsonl").write_text(
        '{"id": "train-00001", "stance": "triumphal", "rhetoric": []}\n'
        '{"id": "dev-00002", "stance": "conciliatory", "rhetoric": []}\n'
    )
    assert remap_agreement({"We won.": "test-00007", "Talks now.": "dev-00002"}, tmp_path) == 1
    assert [r["id"] for _, r in read_jsonl(tmp_path / "second_pass.jsonl")] == ["test-00007", "dev-00002"]
    assert [r["id"] for _, r in read_jsonl(tmp_path / "sample.jsonl")] == ["test-00007", "dev-00002"]
    with pytest.raises(RecordError, match="1 sampled statements left the corpus"):
        remap_agreement({"We won.": "test-00007"}, tmp_path)


def test_agreement_sample_points_at_the_same_texts():
    from training.data.corpus import read_jsonl

    by_id = {r["id"]: r["text"] for split in ("train", "dev", "test") for r in load_split(split)}
    sample = [r for _, r in read_jsonl(DATA_DIR / "agreement" / "sample.jsonl")]
    assert sample and all(by_id.get(r["id"]) == r["text"] for r in sample)


def test_a_later_round_draws_natural_quotes_from_the_train_fold_only_and_caps_each_document():
    """--folds train --per-doc N: no dev or test document is drawn (their folds stay as they were), no document
    gives more than N, LIAR keeps one per statement, and each chosen quote is marked natural."""
    import random

    from training.data.candidates import Candidate, natural_samples

    def quote(corpus: str, doc: str, i: int, fold: str) -> Candidate:
        return Candidate("", corpus, "train", doc, i, i + 5, None, None, "", fold, "")

    pools = {
        "polnear": [
            quote("polnear", f"p{d}", i, f)
            for d, f in enumerate(["train", "dev", "test", "train"])
            for i in range(10)
        ],
        "ptc": [quote("ptc", "a1", i, "train") for i in range(10)],
        "liar": [quote("liar", f"{i}.json", 0, "dev" if i % 3 == 0 else "train") for i in range(30)],
    }
    chosen = natural_samples(
        pools, {"polnear": 100, "ptc": 100, "liar": 100}, random.Random(0), ("train",), 6
    )
    assert {c.fold for c in chosen} == {"train"} and {c.pool for c in chosen} == {"natural"}
    per_doc = {}
    for c in chosen:
        per_doc[(c.corpus, c.doc_id)] = per_doc.get((c.corpus, c.doc_id), 0) + 1
    assert per_doc == {("polnear", "p0"): 6, ("polnear", "p3"): 6, ("ptc", "a1"): 6} | {
        ("liar", f"{i}.json"): 1 for i in range(30) if i % 3
    }
    every_fold = natural_samples(pools, {"polnear": 100, "ptc": 0, "liar": 0}, random.Random(0))
    assert {c.doc_id for c in every_fold} == {"p0", "p1", "p2", "p3"} and len(
        every_fold
    ) == 12  # 3 per document


def test_the_polnear_dev_relabel_points_at_the_same_quotes_and_keeps_its_rule():
    """agreement/polnear_dev_v21.jsonl: the 329 PolNeAR dev quotes (same offsets and fingerprints), the first labels
    kept as `legacy`, and `stance` = the two blind passes' label where they agree, the third's otherwise."""
    first = [
        json.loads(line) for line in (DATA_DIR / "standoff" / "polnear_dev.jsonl").open(encoding="utf-8")
    ]
    relabel = [
        json.loads(line) for line in (DATA_DIR / "agreement" / "polnear_dev_v21.jsonl").open(encoding="utf-8")
    ]
    assert len(relabel) == len(first)
    for old, new in zip(first, relabel, strict=True):
        assert (old["doc_id"], old["start"], old["end"], old["sha1"]) == (
            new["doc_id"],
            new["start"],
            new["end"],
            new["sha1"],
        )
        assert new["legacy"] == old["stance"]
        assert new["stance"] == (new["first"] if new["first"] == new["second"] else new["third"])


def test_a_republished_quote_that_the_train_fold_also_has_is_not_evaluated(monkeypatch):
    """The same sentence in documents of two folds (a story run twice): its dev or test copy leaves the real
    evaluation sets, since the train copy is trained on; the other held-out quotes stay."""
    import training.data.standoff
    from training.sources import real_eval_sets

    def fake(path, fmt="span"):
        def rec(text, fold, pool="natural"):
            return {
                "id": f"{path.name}-{text}",
                "text": text,
                "fold": fold,
                "pool": pool,
                "stance": "neutral",
            }

        if path.name != "ptc_train.jsonl":
            return []
        return [
            rec("Shared sentence.", "train"),
            rec("Shared sentence.", "test"),
            rec("Only in dev.", "dev"),
            rec("Only in test.", "test"),
            rec("Enriched.", "dev", "enriched:defiant"),
        ]

    monkeypatch.setattr(training.data.standoff, "load_standoff", fake)
    dev, test = real_eval_sets("marked")
    assert [r["text"] for r in dev] == ["Only in dev."]
    assert [r["text"] for r in test] == ["Only in test."]


def test_a_rebuild_after_a_statement_left_never_reuses_an_id(tmp_path, monkeypatch):
    """A statement that leaves the corpus (dropped as a near-duplicate of a new one) leaves a gap in the ids: the
    new statements are numbered after the last id kept, so no two statements share an id."""
    import json

    import training.data.corpus as corpus

    raw, statements = tmp_path / "raw", tmp_path / "statements"
    raw.mkdir(), statements.mkdir()
    keep = ["Harbour fees rise in March, the port authority said.", "We will never sign that treaty."]
    new = "Turnout in the northern districts was the lowest in twenty years."
    rows = [
        {"text": t, "stance": s, "rhetoric": None}
        for t, s in zip([*keep, new], ["neutral", "defiant", "neutral"], strict=True)
    ]
    (raw / "batch.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    old = [
        (keep[0], "train-00000"),
        ("A statement that is no longer in any batch.", "train-00001"),
        (keep[1], "train-00002"),
    ]
    base = {"stance": "neutral", "rhetoric": None, "spans": [], "source": "stance-corpus"}
    (statements / "train.jsonl").write_text(
        "".join(json.dumps({**base, "id": i, "text": t}) + "\n" for t, i in old)
    )
    monkeypatch.setattr(corpus, "RAW_DIR", raw)
    monkeypatch.setattr(corpus, "STATEMENTS_DIR", statements)
    monkeypatch.setattr(corpus, "DATA_DIR", tmp_path)
    report = corpus.build()
    assert report["rejected"]["left_the_corpus"] == 1
    ids = {r["text"]: r["id"] for _, r in corpus.read_jsonl(statements / "train.jsonl")}
    assert ids == {keep[0]: "train-00000", keep[1]: "train-00002", new: "train-00003"}
