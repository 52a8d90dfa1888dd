"""Tests for the PTC (SemEval-2020 Task 11) reader and the task's scorers."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from stance.labels import TECHNIQUES, technique_to_ptc
from training.data.schema import check_record
from training.external import available, ptc
from training.ptc_scoring import PRF, merge_spans, score_si, score_tc, sentence_prf

# ---------------------------------------------------------------- SI scorer, hand-computed


def test_si_partial_overlap():
    # |s ∩ t| = 5: P = 5/10, R = 5/10
    assert score_si([("a", 0, 10)], [("a", 5, 15)]) == PRF(0.5, 0.5, 0.5)


def test_si_gold_overlaps_are_merged():
    # gold merges to [0, 20): P = 10/10, R = 10/20, F1 = 2/3
    score = score_si([("a", 0, 10), ("a", 5, 20)], [("a", 0, 10)])
    assert score.precision == 1.0 and score.recall == 0.5
    assert score.f1 == pytest.approx(2 / 3)


def test_si_one_prediction_over_two_gold_spans():
    # P = (4/10 + 4/10) / 1 pred, R = (4/4 + 4/4) / 2 gold
    score = score_si([("a", 0, 4), ("a", 6, 10)], [("a", 0, 10)])
    assert score.precision == pytest.approx(0.8) and score.recall == 1.0
    assert score.f1 == pytest.approx(2 * 0.8 / 1.8)


def test_si_prediction_in_article_without_gold_counts_against_precision():
    score = score_si([("a", 0, 10)], [("a", 0, 10), ("b", 0, 5)])
    assert (score.precision, score.recall) == (0.5, 1.0)
    assert score.f1 == pytest.approx(2 / 3)


def test_si_ignores_techniques_and_empty_cases():
    gold = [ptc.GoldSpan("a", "doubt", 0, 4), ptc.GoldSpan("a", "slogans", 2, 6)]
    assert score_si(gold, [("a", "loaded_language", 0, 6)]) == PRF(1.0, 1.0, 1.0)
    assert score_si([], []).f1 == 1.0  # the official convention
    assert score_si([("a", 0, 4)], []) == PRF(0.0, 0.0, 0.0)


def test_si_overlapping_predictions_merge_or_raise():
    gold = [("a", 0, 10)]
    pred = [("a", 0, 6), ("a", 4, 10)]
    assert score_si(gold, pred) == PRF(1.0, 1.0, 1.0)  # merged to [0, 10), the -m option
    with pytest.raises(ValueError, match="overlapping spans"):
        score_si(gold, pred, merge_pred=False)


def test_merge_spans_keeps_touching_spans_apart():
    assert merge_spans([(5, 8), (0, 5), (3, 4), (10, 12), (11, 20)]) == [(0, 5), (5, 8), (10, 20)]


def test_si_rejects_bad_spans():
    with pytest.raises(ValueError, match="0 <= start < end"):
        score_si([("a", 5, 5)], [])
    with pytest.raises(TypeError, match="expected \\(article_id, start, end\\)"):
        score_si([("a", 5)], [])


def _reference_si(gold, pred):
    """The official algorithm, spelled out: character sets, incremental merging, pairwise sums."""

    def merged(spans):
        out = defaultdict(list)
        for article_id, start, end in spans:
            group, new = out[article_id], set(range(start, end))
            for old in [g for g in group if g & new]:
                group.remove(old)
                new |= old
            group.append(new)
        return out

    g, p = merged(gold), merged(pred)
    p_num = r_num = 0.0
    for article_id, spans in p.items():
        for s in spans:
            for t in g.get(article_id, []):
                p_num += len(s & t) / len(s)
                r_num += len(s & t) / len(t)
    n_p, n_g = sum(map(len, p.values())), sum(map(len, g.values()))
    prec, rec = (p_num / n_p if n_p else 0.0), (r_num / n_g if n_g else 0.0)
    return prec, rec, (2 * prec * rec / (prec + rec) if prec > 0 and rec > 0 else 0.0)


def test_si_matches_reference_on_random_spans():
    rng = random.Random(7)
    for _ in range(200):

        def spans(n):
            out = []
            for _ in range(n):
                start = rng.randrange(0, 60)
                out.append((rng.choice("ab"), start, start + rng.randrange(1, 15)))
            return out

        gold, pred = spans(rng.randrange(1, 8)), spans(rng.randrange(1, 8))
        score = score_si(gold, pred)
        assert (score.precision, score.recall, score.f1) == pytest.approx(_reference_si(gold, pred))


# ---------------------------------------------------------------- TC scorer, hand-computed


def test_tc_micro_is_share_of_correct_spans():
    gold = [("a", "doubt", 0, 5), ("a", "slogans", 7, 9), ("b", "doubt", 1, 3), ("b", "repetition", 4, 8)]
    pred = [("a", "doubt", 0, 5), ("a", "doubt", 7, 9), ("b", "doubt", 1, 3), ("b", "slogans", 4, 8)]
    score = score_tc(gold, pred)
    assert (score.precision, score.recall, score.f1) == (0.5, 0.5, 0.5)
    assert (score.n_correct, score.n_spans) == (2, 4)
    # doubt: 2 correct of 3 predicted and of 2 gold
    assert score.per_technique["doubt"].precision == pytest.approx(2 / 3)
    assert score.per_technique["doubt"].recall == 1.0
    assert score.per_technique["doubt"].f1 == pytest.approx(0.8)
    assert score.per_technique["slogans"] == PRF(0.0, 0.0, 0.0)
    assert score.per_technique["flag_waving"] == PRF(0.0, 0.0, 0.0)  # absent everywhere
    assert set(score.per_technique) == set(TECHNIQUES)


def test_tc_multi_label_span_matches_in_any_order():
    gold = [("a", "doubt", 0, 5), ("a", "slogans", 0, 5)]
    assert score_tc(gold, [("a", "slogans", 0, 5), ("a", "doubt", 0, 5)]).f1 == 1.0
    score = score_tc(gold, [("a", "doubt", 0, 5), ("a", "doubt", 0, 5)])
    assert score.f1 == 0.5
    assert score.per_technique["doubt"].f1 == pytest.approx(2 / 3)


def test_tc_keeps_the_official_skip_after_a_miss():
    # A miss at [0, 5) makes the official aligner skip to the last entry of the next span's run, so the
    # swapped labels of [10, 15) are compared as given: 0 correct, where the best match would find 2.
    gold = [("a", "doubt", 0, 5), ("a", "slogans", 10, 15), ("a", "doubt", 10, 15)]
    pred = [("a", "slogans", 0, 5), ("a", "doubt", 10, 15), ("a", "slogans", 10, 15)]
    assert score_tc(gold, pred).n_correct == 0
    assert score_tc(gold[1:], pred[1:]).n_correct == 2  # no miss before: any order matches


def test_tc_accepts_predictions_in_any_span_order():
    gold = [("a", "doubt", 0, 9), ("a", "slogans", 0, 5), ("b", "repetition", 3, 4)]
    pred = [("b", "repetition", 3, 4), ("a", "slogans", 0, 5), ("a", "doubt", 0, 9)]
    assert score_tc(gold, pred).f1 == 1.0


def test_tc_needs_exactly_the_gold_spans():
    gold = [("a", "doubt", 0, 5), ("a", "slogans", 0, 5)]
    with pytest.raises(ValueError, match="1 predicted entries"):
        score_tc(gold, [("a", "doubt", 0, 5)])
    with pytest.raises(ValueError, match="exactly the gold spans"):
        score_tc(gold, gold + [("a", "doubt", 6, 8)])
    with pytest.raises(ValueError, match="unknown technique 'Doubt'"):
        score_tc(gold, [("a", "Doubt", 0, 5), ("a", "slogans", 0, 5)])
    with pytest.raises(ValueError, match="no spans"):
        score_tc([], [])


def _reference_tc(gold, pred):
    """The official alignment: stable sort by start, then greedy swaps within runs of identical spans."""
    correct = 0
    for article_id in {g[0] for g in gold}:
        gs = sorted([g for g in gold if g[0] == article_id], key=lambda x: x[2])
        ps = sorted([p for p in pred if p[0] == article_id], key=lambda x: x[2])
        i = 0
        while i < len(ps):
            found = None
            j2 = i
            while found is None and j2 < len(gs) and gs[j2][2:] == gs[i][2:]:
                j1 = i
                while j1 < len(ps) and ps[j1][2:] == ps[i][2:]:
                    if ps[j1] == gs[j2]:
                        found = (j1, j2)
                        break
                    j1 += 1
                j2 += 1
            if found:
                ps[i], ps[found[0]] = ps[found[0]], ps[i]
                gs[i], gs[found[1]] = gs[found[1]], gs[i]
            i += 1
            if found is None:
                while i + 1 < len(ps) and ps[i][2:] == ps[i + 1][2:]:
                    i += 1
        correct += sum(p[1] == g[1] for p, g in zip(ps, gs, strict=True))
    return correct / len(gold)


def test_tc_matches_reference_alignment_on_random_spans():
    rng = random.Random(11)
    labels = list(TECHNIQUES[:4])
    for _ in range(200):
        gold, pred = [], []
        for k in range(rng.randrange(1, 6)):
            start = 10 * k
            techniques = rng.sample(labels, rng.randrange(1, 4))
            guesses = [rng.choice(labels) for _ in techniques]
            gold += [("a", t, start, start + 5) for t in techniques]
            pred += [("a", t, start, start + 5) for t in guesses]
        assert score_tc(gold, pred).f1 == pytest.approx(_reference_tc(gold, pred))


# ---------------------------------------------------------------- sentence level


def test_sentence_prf():
    gold = [["doubt"], [], ["slogans"], [], ["doubt", "slogans"]]
    pred = [True, True, False, False, ["doubt"]]
    # tp = 2, fp = 1, fn = 1
    assert sentence_prf(gold, pred) == PRF(2 / 3, 2 / 3, pytest.approx(2 / 3))
    assert sentence_prf([[]], [[]]) == PRF(0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="gold has 1 sentences but pred has 2"):
        sentence_prf([[]], [[], []])
    with pytest.raises(TypeError, match="expected a bool or a collection"):
        sentence_prf(["doubt"], [True])


# ---------------------------------------------------------------- reader on a tiny fake corpus

_ARTICLE_1 = "Title here\n\nThey are traitors.\nWe must act now. Act now!\n"
_ARTICLE_2 = "\ufeffBOM title\n\nPlain sentence.\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


@pytest.fixture
def fake_ptc(tmp_path, monkeypatch):
    root = tmp_path / ptc.CORPUS
    _write(root / "train-articles/article1.txt", _ARTICLE_1)
    _write(root / "train-articles/article2.txt", _ARTICLE_2)
    _write(root / "train-articles/article3.txt", "No spans\n\nAt all.\n")
    _write(root / "dev-articles/article4.txt", "Dev title\n\nDev sentence.\n")
    rows = [
        ("1", "name_calling", 21, 29),  # traitors
        ("1", "doubt", 17, 38),  # "are traitors.\nWe must": crosses a line break
        ("1", "slogans", 48, 55),  # Act now
        ("2", "loaded_language", 1, 4),  # BOM, after the BOM character
    ]
    lines = "".join(f"{a}\t{technique_to_ptc(t)}\t{s}\t{e}\n" for a, t, s, e in rows)
    _write(root / "train-task-flc-tc.labels", lines)
    _write(root / "dev-task-flc-tc.labels", f"4\t{technique_to_ptc('doubt')}\t11\t14\n")
    monkeypatch.setenv("STANCE_EXTERNAL_DIR", str(tmp_path))
    return root


def test_reader_keeps_bom_and_newlines(fake_ptc):
    articles = ptc.load_articles("train")
    assert articles["2"][0] == "\ufeff" and articles["1"] == _ARTICLE_1
    spans = ptc.load_spans("train")
    assert spans[0] == ptc.GoldSpan("1", "name_calling", 21, 29)
    assert articles["2"][1:4] == "BOM"


def test_sentences_clip_spans_across_lines(fake_ptc):
    records = {r["id"]: r for r in ptc.load_sentences("train")}
    assert sorted(records) == [
        "ptc-train-1-1", "ptc-train-1-3", "ptc-train-1-4", "ptc-train-2-1", "ptc-train-2-3",
        "ptc-train-3-1", "ptc-train-3-3",
    ]  # fmt: skip
    line3, line4 = records["ptc-train-1-3"], records["ptc-train-1-4"]
    assert (line3["text"], line3["doc_start"]) == ("They are traitors.", 12)
    assert line3["rhetoric"] == ["doubt", "name_calling"]
    assert line3["spans"] == [
        {"start": 5, "end": 18, "technique": "doubt"},
        {"start": 9, "end": 17, "technique": "name_calling"},
    ]
    assert line4["rhetoric"] == ["doubt", "slogans"]
    assert line4["spans"] == [
        {"start": 0, "end": 7, "technique": "doubt"},
        {"start": 17, "end": 24, "technique": "slogans"},
    ]
    bom = records["ptc-train-2-1"]
    assert (bom["text"], bom["doc_start"], bom["spans"][0]["start"]) == ("BOM title", 1, 0)
    assert records["ptc-train-1-1"]["rhetoric"] == [] and records["ptc-train-1-1"]["stance"] is None
    for record in records.values():
        check_record(record)
        assert record["source"] == "ptc:train"


def test_span_examples_context_and_repetitions(fake_ptc):
    examples = ptc.span_examples("train")
    doubt = examples[1]
    assert doubt["text"] == "are traitors.\nWe must"
    assert doubt["sentence"] == "They are traitors.\nWe must act now. Act now!"
    assert doubt["sentence_start"] == 12
    assert [e["repetitions"] for e in examples] == [1, 1, 2, 1]  # "act now" twice, case-insensitively
    dev = ptc.span_examples("dev")
    assert [(e["text"], e["sentence"]) for e in dev] == [("Dev", "Dev sentence.")]


def test_reader_errors(fake_ptc):
    with pytest.raises(ValueError, match="unknown PTC split 'test'"):
        ptc.load_articles("test")
    _write(fake_ptc / "dev-task-flc-tc.labels", "4\tDoubt\t11\t99\n")
    with pytest.raises(ptc.PtcFormatError, match="outside article 4"):
        ptc.load_spans("dev")
    _write(fake_ptc / "dev-task-flc-tc.labels", "9\tDoubt\t0\t3\n")
    with pytest.raises(ptc.PtcFormatError, match="article 9 is not in the split"):
        ptc.load_spans("dev")
    _write(fake_ptc / "dev-task-flc-tc.labels", "4\tObfuscation\t0\t3\n")
    with pytest.raises(ptc.PtcFormatError, match="unknown PTC technique 'Obfuscation'"):
        ptc.load_spans("dev")


def test_reader_needs_the_external_dir(monkeypatch):
    monkeypatch.delenv("STANCE_EXTERNAL_DIR", raising=False)
    with pytest.raises(RuntimeError, match="STANCE_EXTERNAL_DIR is not set"):
        ptc.load_articles("train")


# ---------------------------------------------------------------- reader on the real corpus

needs_ptc = pytest.mark.skipif(
    not available(ptc.CORPUS),
    reason=f"PTC not found: set STANCE_EXTERNAL_DIR to the folder holding {ptc.CORPUS}/",
)


@needs_ptc
@pytest.mark.parametrize(
    ("split", "n_articles", "n_spans", "n_labelled"), [("train", 371, 6128, 357), ("dev", 75, 1063, 74)]
)
def test_counts_match_source_md(split, n_articles, n_spans, n_labelled):
    articles, spans = ptc.load_articles(split), ptc.load_spans(split)
    assert len(articles) == n_articles
    assert len(spans) == n_spans
    assert len({s.article_id for s in spans}) == n_labelled


@needs_ptc
def test_train_and_dev_are_disjoint():
    assert not set(ptc.load_articles("train")) & set(ptc.load_articles("dev"))


@needs_ptc
@pytest.mark.parametrize("split", ptc.SPLITS)
def test_offsets_are_exact(split):
    articles = ptc.load_articles(split)
    for example in ptc.span_examples(split):
        article = articles[example["article_id"]]
        assert example["text"] == article[example["start"] : example["end"]]
        # PTC v2 trimmed every span of these boundary characters; a wrong reading shifts some onto them
        assert example["text"][0] not in " \n.,:;" and example["text"][-1] not in " \n.,:;"
        local = example["start"] - example["sentence_start"]
        assert example["sentence"][local : local + len(example["text"])] == example["text"]
    records = ptc.load_sentences(split)
    for record in records:
        check_record(record)
        article = articles[record["doc_id"]]
        assert article[record["doc_start"] : record["doc_start"] + len(record["text"])] == record["text"]
        for span in record["spans"]:
            start, end = record["doc_start"] + span["start"], record["doc_start"] + span["end"]
            assert record["text"][span["start"] : span["end"]] == article[start:end] != ""
    assert {r["source"] for r in records} == {f"ptc:{split}"}
    # every gold span reaches the sentence records (several pieces for spans that cross lines)
    covered = Counter(t for r in records for t in r["rhetoric"])
    assert set(covered) == {s.technique for s in ptc.load_spans(split)}


@needs_ptc
def test_hand_counted_article():
    records = [r for r in ptc.load_sentences("train") if r["doc_id"] == "999000565"]
    assert [r["id"].rsplit("-", 1)[1] for r in records] == ["1", "3", "4", "5", "6", "7", "8", "9", "10"]
    by_line = {r["id"].rsplit("-", 1)[1]: r for r in records}
    assert by_line["5"]["text"] == "It doesn’t take much to trigger these people."
    assert by_line["5"]["spans"] == [{"start": 21, "end": 31, "technique": "loaded_language"}]
    assert by_line["7"]["spans"] == [{"start": 75, "end": 158, "technique": "appeal_to_fear"}]
    assert by_line["8"]["rhetoric"] == ["appeal_to_fear"]
    assert sum(bool(r["rhetoric"]) for r in records) == 3
    examples = [e for e in ptc.span_examples("train") if e["article_id"] == "999000565"]
    assert [(e["text"][:10], e["repetitions"]) for e in examples] == [
        ("to trigger", 1), ("they are “", 2), ("they are “", 2),
    ]  # fmt: skip


@needs_ptc
def test_scorers_on_dev_sanity():
    gold = ptc.load_spans("dev")
    assert score_si(gold, gold) == PRF(1.0, 1.0, 1.0)
    assert score_tc(gold, list(reversed(gold))).f1 == 1.0
    # everything labelled Loaded_Language: the share of that class, about 0.31 (the task's majority baseline)
    baseline = score_tc(gold, [(a, "loaded_language", s, e) for a, _, s, e in gold])
    assert baseline.n_correct == sum(s.technique == "loaded_language" for s in gold)
    assert 0.25 < baseline.f1 < 0.35
