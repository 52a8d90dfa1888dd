"""Reader for PolNeAR (political news attribution relations, brat standoff) from STANCE_EXTERNAL_DIR."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from training.external import external_dir

SPLITS = ("train", "dev", "test")
# A brat annotation line starts with an id such as T12, E3, A1, R2 or #1 and a tab; any other line
# continues the previous line's text (PolNeAR has span texts that contain a newline).
_LINE_ID = re.compile(r"^(?:[TEARNM]\d+|#\d*)\t")
_ANN_NAME = re.compile(r"^(?P<stem>.+)_(?P<annotator>[0-9a-f]{4})\.ann$")


class PolnearFormatError(ValueError):
    """Raised when an .ann file is malformed or its offsets disagree with the article text."""


@dataclass(frozen=True)
class Span:
    """One annotated text-bound span; `fragments` holds (start, end) pairs (several when discontinuous)."""

    fragments: tuple[tuple[int, int], ...]
    text: str  # the fragments' texts joined by a space, as brat writes them

    @property
    def start(self) -> int:
        return self.fragments[0][0]

    @property
    def end(self) -> int:
        return self.fragments[-1][1]


@dataclass(frozen=True)
class Attribution:
    """One attribution relation (an E line): who (source) said (cue) what (content)."""

    id: str
    source: Span | None
    cue: Span | None
    content: tuple[Span, ...]
    annotator: str

    @property
    def content_text(self) -> str:
        return " ".join(span.text for span in self.content)


@dataclass(frozen=True)
class Article:
    """One PolNeAR article with its attributions, grouped per annotator id (sorted)."""

    id: str
    split: str
    text: str
    annotations: dict[str, list[Attribution]] = field(default_factory=dict)

    @property
    def annotators(self) -> list[str]:
        return sorted(self.annotations)

    def attributions(self, annotator: str | None = None) -> list[Attribution]:
        """One annotator's attributions; by default the first annotator id in sorted order.

        Articles annotated by several annotators (a few have all six) are scored once, against the first
        annotator id in sorted order, so the choice is deterministic and independent of any system output.
        """
        if not self.annotations:
            return []
        chosen = annotator or self.annotators[0]
        if chosen not in self.annotations:
            raise KeyError(f"article {self.id} has no annotator {chosen!r}; it has {self.annotators}")
        return self.annotations[chosen]


def _read(path: Path) -> str:
    # newline="" keeps any "\r" so that character offsets stay those of the file
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def _logical_lines(raw: str) -> list[tuple[int, str]]:
    """Join continuation lines onto their annotation line; return (1-based line number, line)."""
    lines: list[tuple[int, str]] = []
    physical = raw.split("\n")
    if physical and physical[-1] == "":
        physical.pop()  # the file's final newline ends the last line; it is not span text
    for number, line in enumerate(physical, start=1):
        if _LINE_ID.match(line) or not lines:
            lines.append((number, line))
        else:
            first, previous = lines[-1]
            lines[-1] = (first, previous + "\n" + line)
    return [(n, line) for n, line in lines if line.strip()]


def _parse_span(body: str, text: str, where: str) -> tuple[str, Span]:
    """Parse `Label 10 20;25 30<TAB>covered text` and check every fragment against the article."""
    try:
        header, covered = body.split("\t", 1)
        label, offsets = header.split(" ", 1)
        fragments = tuple((int(a), int(b)) for a, b in (piece.split() for piece in offsets.split(";")))
    except ValueError as exc:
        raise PolnearFormatError(f"{where}: cannot parse span {body[:80]!r} ({exc})") from exc
    for start, end in fragments:
        if not 0 <= start <= end <= len(text):
            raise PolnearFormatError(f"{where}: offsets {start}-{end} outside text of length {len(text)}")
    joined = " ".join(text[start:end] for start, end in fragments)
    if joined != covered:
        raise PolnearFormatError(
            f"{where}: span {label} {offsets} covers {joined[:60]!r} in the text but the file says {covered[:60]!r}"
        )
    return label, Span(fragments=fragments, text=covered)


def parse_ann(ann_path: Path, text: str, annotator: str) -> list[Attribution]:
    """Parse one brat .ann file into attributions, checking every offset against `text`."""
    spans: dict[str, tuple[str, Span]] = {}
    events: list[tuple[str, str, list[tuple[str, str]]]] = []
    for number, line in _logical_lines(_read(ann_path)):
        where = f"{ann_path.name}:{number}"
        ident, _, body = line.partition("\t")
        if ident.startswith("T"):
            spans[ident] = _parse_span(body, text, where)
        elif ident.startswith("E"):
            args = [tuple(arg.split(":", 1)) for arg in body.split()]
            if any(len(arg) != 2 for arg in args):
                raise PolnearFormatError(f"{where}: cannot parse event {body!r}")
            events.append((ident, where, args))  # type: ignore[arg-type]
    attributions = []
    for ident, where, args in events:
        roles: dict[str, list[Span]] = {}
        for role, target in args:
            if target not in spans:
                raise PolnearFormatError(f"{where}: event {ident} points at unknown span {target}")
            roles.setdefault(re.sub(r"\d+$", "", role), []).append(spans[target][1])
        if "Content" not in roles:
            continue  # a few empty "Attribution-no-source" events carry no relation at all
        attributions.append(
            Attribution(
                id=ident,
                source=roles.get("Source", [None])[0],
                cue=roles.get("Cue", [None])[0],
                content=tuple(sorted(roles["Content"], key=lambda span: span.start)),
                annotator=annotator,
            )
        )
    return attributions


def load_polnear(split: str, root: Path | None = None) -> list[Article]:
    """Load one split as articles sorted by id (every annotator's attributions are kept).

    >>> articles = load_polnear("dev")  # doctest: +SKIP
    >>> len(articles), len(articles[0].attributions())  # doctest: +SKIP
    (84, 31)
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    base = (root or external_dir("polnear")) / "data" / split
    texts = {path.stem: _read(path) for path in sorted((base / "text").glob("*.txt"))}
    if not texts:
        raise FileNotFoundError(f"no .txt files under {base / 'text'}")
    grouped: dict[str, dict[str, list[Attribution]]] = {stem: {} for stem in texts}
    for ann_path in sorted((base / "attributions").glob("*.ann")):
        match = _ANN_NAME.match(ann_path.name)
        if not match or match["stem"] not in texts:
            raise PolnearFormatError(f"{ann_path.name}: no matching text file <stem>.txt in {base / 'text'}")
        stem, annotator = match["stem"], match["annotator"]
        grouped[stem][annotator] = parse_ann(ann_path, texts[stem], annotator)
    return [Article(id=stem, split=split, text=texts[stem], annotations=grouped[stem]) for stem in texts]
