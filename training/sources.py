"""Gather training, dev and test records from the configured sources; say which were really used."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from training.config import TrainConfig
from training.data.corpus import load_split
from training.data.schema import DATA_DIR
from training.external import ExternalDataMissing

STANDOFF_FILES = {
    "polnear_standoff": "polnear_train.jsonl",
    "ptc_standoff": "ptc_train.jsonl",
    "liar_standoff": "liar_train.jsonl",
}


@dataclass
class Splits:
    train: list[dict[str, Any]]
    dev: list[dict[str, Any]]
    test: list[dict[str, Any]]
    ptc_pool: list[dict[str, Any]] = field(default_factory=list)  # resampled into train each epoch
    real_pool: list[dict[str, Any]] = field(
        default_factory=list
    )  # real train-fold quotes, sampled each epoch
    # unlabelled train-fold quotes with a teacher's target (source `transfer`): learnt from the target alone
    transfer_pool: list[dict[str, Any]] = field(default_factory=list)
    # real quotes of held-out documents, natural sample only: dev chooses the model, test reports it
    real_dev: list[dict[str, Any]] = field(default_factory=list)
    real_test: list[dict[str, Any]] = field(default_factory=list)
    used: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    distilled: int = 0  # training records with a teacher's soft stance target (config.distil)

    def epoch_train(self, config: TrainConfig, epoch: int) -> list[dict[str, Any]]:
        """This epoch's training records: the corpus (`corpus_epoch`) plus the next slices of the PTC sentences
        and real quotes.

        Each pool is walked in a seeded random order without replacement across epochs, so 4 epochs of 2,500
        quotes read 10,000 distinct quotes of a pool that large (drawing afresh each epoch would repeat about a
        third of them); a pool that runs out is reshuffled and walked again.
        """
        return (
            self.corpus_epoch(config, epoch)
            + epoch_slice(self.ptc_pool, config.ptc_sentences_per_epoch, epoch, config.seed)
            + epoch_slice(self.real_pool, config.real_per_epoch, epoch, config.seed + 1)
            + epoch_slice(self.transfer_pool, config.transfer_per_epoch, epoch, config.seed + 3)
        )

    def corpus_epoch(self, config: TrainConfig, epoch: int) -> list[dict[str, Any]]:
        """The corpus statements of an epoch: all of them, or the next `corpus_per_epoch` of a seeded walk."""
        if config.corpus_per_epoch is None or config.corpus_per_epoch >= len(self.train):
            return self.train
        return epoch_slice(self.train, config.corpus_per_epoch, epoch, config.seed + 2)

    def labelled(self) -> list[dict[str, Any]]:
        """Every training record that can be drawn (for class weights and the baseline)."""
        return self.train + self.ptc_pool + self.real_pool


def epoch_slice(pool: list[Any], n: int | None, epoch: int, seed: int) -> list[Any]:
    """Epoch `epoch`'s (1, 2, …) `n` items of `pool` (None or more than it holds: all of them, shuffled), walking
    seeded shuffles of it without replacement.

    >>> [epoch_slice(list(range(6)), 3, e, seed=0) for e in (1, 2)]  # two epochs cover the pool once
    [[4, 2, 1], [0, 5, 3]]
    """
    n = len(pool) if n is None else min(n, len(pool))
    if n <= 0:
        return []
    start = (epoch - 1) * n
    out: list[Any] = []
    while len(out) < n:
        rounds, offset = divmod(start + len(out), len(pool))
        order = list(range(len(pool)))
        random.Random(seed * 1000 + rounds).shuffle(order)
        out += [pool[i] for i in order[offset : offset + n - len(out)]]
    return out


def marked(record: dict[str, Any], fmt: str) -> dict[str, Any]:
    """A corpus reporting sentence with its quoted part inside [Q]…[/Q] when the model reads quotes marked,
    as analyze() shows them; technique spans move with the text. Other statements are read as they are."""
    from stance.context import QUOTE_CLOSE, QUOTE_OPEN

    quote = record.get("quote")
    if not quote or fmt not in ("marked", "marked_speaker"):
        return record
    text, s, e = record["text"], quote["start"], quote["end"]

    def shift(pos: int, end: bool) -> int:
        return (
            pos
            + (len(QUOTE_OPEN) if pos > s or (pos == s and not end) else 0)
            + (len(QUOTE_CLOSE) if pos > e or (pos == e and not end) else 0)
        )

    spans = [{**x, "start": shift(x["start"], False), "end": shift(x["end"], True)} for x in record["spans"]]
    return {
        **record,
        "text": text[:s] + QUOTE_OPEN + text[s:e] + QUOTE_CLOSE + text[e:],
        "spans": spans,
        "quote": {"start": s + len(QUOTE_OPEN), "end": e + len(QUOTE_OPEN)},
    }


def _cap(records: list[dict[str, Any]], n: int | None, seed: int) -> list[dict[str, Any]]:
    if n is None or len(records) <= n:
        return records
    return random.Random(seed).sample(records, n)


def gather(config: TrainConfig) -> Splits:
    """Load every configured source; external ones are skipped, with the reason, when unavailable."""
    splits = Splits(
        *([marked(r, config.input_format) for r in load_split(s)] for s in ("train", "dev", "test"))
    )
    splits.used["corpus"] = len(splits.train)
    if "corpus" not in config.sources:
        splits.train = []
        splits.used.pop("corpus")
    for source in config.sources:
        try:
            if source in STANDOFF_FILES:
                from training.data.standoff import load_standoff

                path = DATA_DIR / "standoff" / STANDOFF_FILES[source]
                if not path.exists():
                    splits.skipped[source] = f"{path} does not exist"
                    continue
                records = load_standoff(path, fmt=config.input_format)
                train = [r for r in records if r["fold"] == "train"]
                splits.real_pool += train
                splits.used[source] = len(train)
            elif source == "transfer":
                try:
                    splits.transfer_pool = transfer_records(config.input_format)
                except FileNotFoundError as e:
                    splits.skipped[source] = str(e)
            elif source == "ptc":
                splits.ptc_pool, held = ptc_train_sentences(config)
                splits.used["ptc"] = len(splits.ptc_pool)
                splits.dev += held
        except ExternalDataMissing as e:
            splits.skipped[source] = str(e)
    splits.real_dev, splits.real_test = real_eval_sets(config.input_format)
    if config.distil:
        from training.distil import attach, load_targets

        targets = load_targets(config.distil)
        splits.distilled = attach(splits.train, targets) + attach(splits.real_pool, targets)
        # a transfer quote without the teacher's target has nothing to learn from
        attach(splits.transfer_pool, targets)
        splits.transfer_pool = [r for r in splits.transfer_pool if "soft_stance" in r]
    if "transfer" in config.sources and "transfer" not in splits.skipped:
        splits.used["transfer"] = len(splits.transfer_pool)
    splits.train = _cap(splits.train, config.max_examples, config.seed)
    splits.real_pool = _cap(splits.real_pool, config.max_examples, config.seed)
    splits.dev = _cap(splits.dev, config.max_examples, config.seed)
    splits.test = _cap(splits.test, config.max_examples, config.seed)
    return splits


def real_eval_sets(fmt: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The natural real quotes of dev-fold and test-fold documents, whatever the run trains on; ([], []) when
    STANCE_EXTERNAL_DIR is unset. Enriched and hand-picked (legacy) quotes never enter them, nor does a quote whose
    model input a train-fold record also has: a republished story (PolNeAR runs some on consecutive days, PTC holds
    copies of articles) puts the same sentence in documents of two folds, and the train copy is trained on."""
    from training.data.standoff import load_standoff

    dev, test, train_inputs = [], [], set()
    for name in sorted(set(STANDOFF_FILES.values())):
        path = DATA_DIR / "standoff" / name
        try:
            records = load_standoff(path, fmt=fmt) if path.exists() else []
        except ExternalDataMissing:
            return [], []
        train_inputs |= {r["text"] for r in records if r["fold"] == "train"}
        dev += [r for r in records if r["fold"] == "dev" and r["pool"] == "natural"]
        test += [r for r in records if r["fold"] == "test" and r["pool"] == "natural"]
    dev = [r for r in dev if r["text"] not in train_inputs]
    return dev, [r for r in test if r["text"] not in train_inputs]


def transfer_records(fmt: str) -> list[dict[str, Any]]:
    """The transfer set (`training.distil.write_transfer`: unlabelled quotes of train-fold documents) in format
    `fmt`; raises ExternalDataMissing without the corpora, FileNotFoundError when it was never written."""
    from training.data.standoff import load_standoff
    from training.distil import TRANSFER_FILE, _in_repo

    path = _in_repo(TRANSFER_FILE)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} does not exist: write it with python -m training.distil --write-transfer"
        )
    return [r for r in load_standoff(path, fmt=fmt) if r["fold"] == "train"]


def ptc_train_sentences(config: TrainConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """PTC train sentences (never dev); with ptc_validation_share > 0, whole articles are held out."""
    from training.external.ptc import hold_out_articles, load_sentences

    return hold_out_articles(load_sentences("train"), "doc_id", config.ptc_validation_share, config.seed)
