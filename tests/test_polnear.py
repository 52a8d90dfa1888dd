"""Tests for the PolNeAR reader (skipped unless STANCE_EXTERNAL_DIR points at the external corpora)."""

from __future__ import annotations

import pytest

from training.external import ExternalDataMissing, external_dir
from training.external.polnear import SPLITS, Article, PolnearFormatError, load_polnear, parse_ann

try:
    ROOT = external_dir("polnear")
except ExternalDataMissing as exc:
    pytest.skip(str(exc), allow_module_level=True)

BLIGE = "breitbart_2016-09-28_mary-j-blige-sings-to-hillary-cl"  # dev, one annotator (6b86)
CADDELL = "breitbart_2016-09-15_pat-caddell-democrat-voters-worr"  # dev, discontinuous content


@pytest.fixture(scope="module")
def dev() -> dict[str, Article]:
    return {article.id: article for article in load_polnear("dev")}


def test_split_sizes(dev: dict[str, Article]) -> None:
    # SOURCE.md: dev has 84 texts and 94 .ann files: 82 articles have one annotator, 2 have all six.
    assert len(dev) == 84
    assert sum(len(a.annotations) for a in dev.values()) == 94
    assert sorted(len(a.annotators) for a in dev.values())[-3:] == [1, 6, 6]


def test_hand_counted_file(dev: dict[str, Article]) -> None:
    # The .ann file has 20 T lines and 5 E lines (counted by hand); every E line has a Content.
    article = dev[BLIGE]
    assert article.annotators == ["6b86"]
    attributions = article.attributions()
    assert [a.id for a in attributions] == ["E1", "E2", "E3", "E4", "E5"]
    first = attributions[0]
    assert (first.source.text, first.cue.text, first.content_text) == (
        "Blige",
        "sings",
        "Bruce Springsteen’s “American Skin”",
    )
    assert attributions[2].source == attributions[1].source  # E3 reuses E2's Source span T6
    assert attributions[4].source is None  # Attribution-no-source
    assert attributions[4].cue.text == "has faced ridicule online"


def test_discontinuous_content(dev: dict[str, Article]) -> None:
    att = next(a for a in dev[CADDELL].attributions("4e07") if a.id == "E3")
    (content,) = att.content
    assert content.fragments == ((315, 448), (463, 553))
    assert content.text == " ".join(dev[CADDELL].text[a:b] for a, b in content.fragments)


def test_every_offset_matches_text_on_a_sample() -> None:
    for split in SPLITS:
        for article in load_polnear(split)[::20]:
            for annotator in article.annotators:
                for att in article.attributions(annotator):
                    spans = [*att.content, *(s for s in (att.source, att.cue) if s is not None)]
                    for span in spans:
                        assert " ".join(article.text[a:b] for a, b in span.fragments) == span.text


def test_first_annotator_is_the_default(dev: dict[str, Article]) -> None:
    shared = next(a for a in dev.values() if len(a.annotators) > 1)
    assert shared.annotators == sorted(shared.annotators)
    assert shared.attributions() == shared.attributions(shared.annotators[0])
    with pytest.raises(KeyError, match="has no annotator 'zzzz'"):
        shared.attributions("zzzz")


def test_offset_mismatch_names_file_and_line(tmp_path) -> None:
    ann = tmp_path / "x_abcd.ann"
    ann.write_text("T1\tSource 0 3\tabc\nT2\tCue 4 8\tnope\n", encoding="utf-8")
    with pytest.raises(PolnearFormatError, match=r"x_abcd\.ann:2: span Cue 4 8 covers 'said'"):
        parse_ann(ann, "abc said", "abcd")


def test_unknown_split() -> None:
    with pytest.raises(ValueError, match="split must be one of"):
        load_polnear("validation")
