"""Candidate real quotes for stand-off labelling: natural samples per source and recorded enrichment rules.

`python -m training.data candidates --out .annotation/` writes, for each source, the quotes an annotator is to
label (with the text they need to read them: that output holds corpus text and is never committed) and
`folds.json`, the document split (train / dev / test) of every source, by a hash of the document id.

Selection is recorded so that it can be re-run: a natural sample is uniform over the quotes of a source
(at most a few per document); an enriched sample is drawn, from train-fold documents only, by the
pre-selection rule of `ENRICH_RULES` (a regular expression over the cue and the quote) and is flagged
`pool: "enriched:<class>"` so that it never enters a natural-distribution evaluation.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from training.external import external_dir

FOLD_SHARES = (("dev", 0.1), ("test", 0.1))  # the rest of each source's documents is train
# Pre-selection rules for the classes that are rare in real news: the cue or the quote must match.
# They only choose which quotes an annotator reads; every label is assigned by reading.
ENRICH_RULES: dict[str, str] = {
    "conciliatory": r"\b(talks?|negotiat\w*|compromis\w*|dialogue|bipartisan|work (?:together|with)|reach across|"
    r"common ground|unite|unity|heal|reconcil\w*|olive branch|cooperat\w*|ceasefire|truce|peace)\b",
    "triumphal": r"\b(boast\w*|tout\w*|celebrat\w*|won|win(?:s|ning)?|victor\w*|landslide|crush\w*|trounc\w*|"
    r"defeat(?:ed)?|record|historic|success\w*|huge crowd|lead(?:ing)? in the polls)\b",
    "threatening": r"\b(warn\w*|threat\w*|vow\w* to (?:sue|retaliat\w*|punish)|will pay|consequences|"
    r"danger\w*|catastroph\w*|disaster|ultimatum|sue|retaliat\w*|destroy)\b",
    "defiant": r"\b(vow\w*|refus\w*|insist\w*|will not|won't|never|not going to|stay in the race|"
    r"no intention|not back(?:ing)? down|fight on|keep fighting|stand firm|reject\w*)\b",
    "conceding": r"\b(admit\w*|acknowledg\w*|conced\w*|apologi[sz]\w*|regret\w*|mistake|sorry|"
    r"disappoint\w*|lost|los(?:e|ing)|struggl\w*|difficult|fell short|behind in)\b",
}
# Round 4 (the first rule's hits were used up with conciliatory still under 150): wider wording.
ENRICH_RULES_ROUND4: dict[str, str] = {
    "conciliatory": r"\b(meet with|reach(?:ed|ing)? out|welcom\w*|agree\w*|together|partner\w*|common|"
    r"respect\w*|bridge|both sides|across the aisle|cooperation|deal with|work(?:ing)? with|support each other)\b",
}
MIN_WORDS, MAX_WORDS = 3, 80


@dataclass
class Candidate:
    cid: str
    corpus: str
    split: str
    doc_id: str
    start: int
    end: int
    speaker: list[int] | None  # [start, end) of the speaker mention in the document, when known
    cue: list[int] | None  # [start, end) of the reporting cue, when known
    pool: str  # "natural" or "enriched:<class>"
    fold: str  # train / dev / test, by document
    show: str  # what the annotator reads (corpus text: never committed)


def fold_of(corpus: str, doc_id: str) -> str:
    """The real-quote split of a document: a stable hash of (corpus, document id)."""
    h = int(hashlib.sha1(f"{corpus}/{doc_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    edge = 0.0
    for fold, share in FOLD_SHARES:
        edge += share
        if h < edge:
            return fold
    return "train"


def marked_window(doc: str, start: int, end: int, cue: list[int] | None = None) -> str:
    """The quote's sentence(s), the cue's sentence too, with the quote inside [Q]…[/Q] (for annotators)."""
    from stance.context import sentence_bounds

    lo, hi = sentence_bounds(doc, start, end)
    if cue:
        c_lo, c_hi = sentence_bounds(doc, cue[0], cue[1])
        lo, hi = min(lo, c_lo), max(hi, c_hi)
    return (doc[lo:start] + "[Q]" + doc[start:end] + "[/Q]" + doc[end:hi]).replace("\n", " ⏎ ")


def _words(text: str) -> int:
    return len(text.split())


def polnear_quotes(existing: set[tuple[str, int, int]]) -> Iterator[Candidate]:
    from training.external.polnear import load_polnear

    for article in load_polnear("train"):
        for att in article.attributions():
            if len(att.content) != 1 or len(att.content[0].fragments) != 1:
                continue
            s, e = att.content[0].fragments[0]
            text = article.text[s:e]
            s += len(text) - len(text.lstrip())
            e -= len(text) - len(text.rstrip())
            if not MIN_WORDS <= _words(article.text[s:e]) <= MAX_WORDS or (article.id, s, e) in existing:
                continue
            speaker = [att.source.start, att.source.end] if att.source else None
            cue = [att.cue.start, att.cue.end] if att.cue else None
            show = marked_window(article.text, s, e, cue)
            if att.source:
                show = f"SOURCE: {att.source.text} | CUE: {att.cue.text if att.cue else '-'}\n{show}"
            yield Candidate(
                "",
                "polnear",
                "train",
                article.id,
                s,
                e,
                speaker,
                cue,
                "",
                fold_of("polnear", article.id),
                show,
            )


def ptc_quotes(existing: set[tuple[str, int, int]]) -> Iterator[Candidate]:
    """The quotes `analyze()`'s extractor finds in PTC train articles (the title line excluded)."""
    from stance.quotes import extract_quotes

    folder = external_dir("semeval2020-task11-ptc") / "train-articles"
    for path in sorted(folder.glob("article*.txt")):
        doc_id = path.stem.removeprefix("article")
        with open(path, encoding="utf-8", newline="") as f:
            doc = f.read()
        title_end = doc.find("\n")
        for q in extract_quotes(doc):
            if q.start < title_end or not MIN_WORDS <= _words(q.text) <= MAX_WORDS:
                continue
            if (doc_id, q.start, q.end) in existing:
                continue
            speaker = [q.speaker_start, q.speaker_end] if q.speaker_start is not None else None
            cue = [q.cue_start, q.cue_end] if q.cue_start is not None else None
            show = marked_window(doc, q.start, q.end, cue)
            show = f"SPEAKER: {q.speaker or '?'} | CUE: {q.cue or '-'} | KIND: {q.kind}\n{show}"
            yield Candidate(
                "", "ptc", "train", doc_id, q.start, q.end, speaker, cue, "", fold_of("ptc", doc_id), show
            )


def liar_rows(split: str = "train") -> Iterator[list[str]]:
    path = external_dir("liar") / f"{split}.tsv"
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 14:
                yield row


def liar_quotes(existing: set[tuple[str, int, int]]) -> Iterator[Candidate]:
    """LIAR train statements: the whole statement is the quote, the speaker comes from its metadata."""
    for row in liar_rows("train"):
        doc_id, text = row[0], row[2]
        s, e = len(text) - len(text.lstrip()), len(text.rstrip())
        if not MIN_WORDS <= _words(text[s:e]) <= MAX_WORDS or (doc_id, s, e) in existing:
            continue
        who = row[4].replace("-", " ")
        role = ", ".join(x for x in (row[5], row[7]) if x)
        show = f"SPEAKER: {who} ({role or '?'}) | VENUE: {row[13] or '?'}\n[Q]{text[s:e]}[/Q]"
        yield Candidate("", "liar", "train", doc_id, s, e, None, None, "", fold_of("liar", doc_id), show)


def _sample(items: list[Candidate], n: int, per_doc: int, rng: random.Random) -> list[Candidate]:
    if n <= 0:
        return []
    rng.shuffle(items)
    taken, per = [], {}
    for c in items:
        if per.get(c.doc_id, 0) < per_doc:
            taken.append(c)
            per[c.doc_id] = per.get(c.doc_id, 0) + 1
            if len(taken) == n:
                break
    return taken


def natural_samples(
    pools: dict[str, list[Candidate]],
    natural: dict[str, int],
    rng: random.Random,
    folds: tuple[str, ...] = ("train", "dev", "test"),
    per_doc: int | None = None,
) -> list[Candidate]:
    """Up to `natural[corpus]` quotes of each pool, uniformly, from documents of `folds` only, at most `per_doc`
    per document (default: 3 PolNeAR, 4 PTC, 1 LIAR); each is marked `pool: "natural"`."""
    caps = {"polnear": per_doc or 3, "ptc": per_doc or 4, "liar": 1}
    chosen: list[Candidate] = []
    for corpus, items in pools.items():
        in_folds = [c for c in items if c.fold in folds]
        for c in _sample(in_folds, natural[corpus], caps[corpus], rng):
            c.pool = "natural"
            chosen.append(c)
    return chosen


def _cue_and_quote(c: Candidate, docs: dict[tuple[str, str], str]) -> str:
    doc = docs[(c.corpus, c.doc_id)]
    cue = doc[c.cue[0] : c.cue[1]] if c.cue else ""
    return f"{cue} {doc[c.start : c.end]}"


def build_candidates(
    out: Path,
    natural: dict[str, int],
    enrich_per_class: int,
    existing: set[tuple[str, int, int]],
    seed: int = 7,
    prefix: str = "c",
    enrich_classes: tuple[str, ...] = tuple(ENRICH_RULES),
    rules: dict[str, str] | None = None,
    folds: tuple[str, ...] = ("train", "dev", "test"),
    per_doc: int | None = None,
) -> dict[str, int]:
    """Write `<out>/candidates.jsonl` and return how many candidates each pool got.

    The natural samples are drawn from documents of `folds` only (a later round can add training quotes and leave
    the evaluation folds as they are), at most `per_doc` per document (default: 3 PolNeAR, 4 PTC, 1 LIAR)."""
    from training.data.standoff import document

    rng = random.Random(seed)
    pools = {
        "polnear": list(polnear_quotes(existing)),
        "ptc": list(ptc_quotes(existing)),
        "liar": list(liar_quotes(existing)),
    }
    chosen = natural_samples(pools, natural, rng, folds, per_doc)
    taken = {(c.corpus, c.doc_id, c.start, c.end) for c in chosen}
    docs = {(c.corpus, c.doc_id): document(c.corpus, c.split, c.doc_id) for p in pools.values() for c in p}
    rest = [
        c
        for p in pools.values()
        for c in p
        if c.fold == "train" and (c.corpus, c.doc_id, c.start, c.end) not in taken
    ]
    rng.shuffle(rest)
    for cls in enrich_classes:
        rule = (rules or ENRICH_RULES)[cls]
        pattern = re.compile(rule, re.IGNORECASE)
        hits = [
            c
            for c in rest
            if (c.corpus, c.doc_id, c.start, c.end) not in taken and pattern.search(_cue_and_quote(c, docs))
        ]
        for c in hits[:enrich_per_class]:
            c.pool = f"enriched:{cls}"
            chosen.append(c)
            taken.add((c.corpus, c.doc_id, c.start, c.end))
    rng.shuffle(chosen)
    for i, c in enumerate(chosen):
        c.cid = f"{prefix}{i:05d}"
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "candidates.jsonl", "w", encoding="utf-8") as f:
        for c in chosen:
            f.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for c in chosen:
        key = f"{c.corpus}/{c.pool}/{c.fold}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))
