"""Rule-based quote and speaker extraction from news text (direct, partial and indirect speech)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from stance import _quote_rules, _segment, _speakers
from stance._indirect import indirect_clauses
from stance._mentions import Mentions
from stance._quote_rules import Token
from stance._speakers import Attribution

KINDS = ("direct", "partial", "indirect")
_MAX_SCARE_WORDS = 3  # quoted phrases this short need a reporting verb in their sentence to count


@dataclass(frozen=True)
class ExtractedQuote:
    """One quote with its speaker; offsets index the article, so article[start:end] == text.

    `speaker` is the name as written (a pronoun or bare role is replaced by the named speaker it refers
    to); `mention_start`/`mention_end` mark the words next to the cue (possibly "he");
    `context_start`/`context_end` mark what a classifier should label.
    """

    text: str
    start: int
    end: int
    speaker: str | None
    speaker_start: int | None
    speaker_end: int | None
    cue: str | None
    kind: str
    context_start: int
    context_end: int
    cue_start: int | None = None
    cue_end: int | None = None
    mention_start: int | None = None
    mention_end: int | None = None


class _Extractor:
    def __init__(self, text: str) -> None:
        self.text = text
        self.sentences = _segment.sentences(text)
        self.sentence_starts = [s for s, _ in self.sentences]
        self.quotes = _segment.quote_spans(text)
        self.quote_starts = [s for s, _ in self.quotes]
        self.lower_words = {m.group() for m in re.finditer(r"\b[a-z][a-z'’]+\b", text)}
        self.mentions = Mentions()
        self._cues: dict[tuple[int, int], tuple[list[Token], list[Attribution]]] = {}

    def sentence_of(self, pos: int) -> tuple[int, int]:
        i = max(0, bisect.bisect_right(self.sentence_starts, pos) - 1)
        return self.sentences[i]

    def inside_quote(self, pos: int) -> bool:
        i = bisect.bisect_right(self.quote_starts, pos) - 1
        return i >= 0 and self.quotes[i][0] <= pos < self.quotes[i][1]

    def att_at(self, toks: list[Token], k: int, subject: list[Token]) -> Attribution:
        """`_attribute_at` that ignores cues and speakers inside quotes and drops words that are no name."""
        if self.inside_quote(toks[k].start):
            return Attribution([], None)
        att = _speakers.attribute_at(self.text, toks, k, subject)
        speaker, named = self.clean(att.speaker), att.named
        if (
            not named
            and speaker[:1]
            and speaker[0].lower == "they"
            and subject[:1]
            and subject[0].stem not in _quote_rules.PRONOUNS
            and subject[-1].end <= speaker[0].start
        ):
            named = self.clean(subject) or None  # "Clinton's campaign contrasts … what they call "…""
        return Attribution(speaker, att.cue, named)

    def clean(self, speaker: list[Token]) -> list[Token]:
        """Drop a speaker inside a quote or ending in a possessive, and a sentence's first word ("Thank")."""
        possessive = (
            speaker
            and speaker[-1].text.endswith(("'s", "’s"))
            and speaker[-1].stem not in _quote_rules.PRONOUNS
        )
        if possessive or any(self.inside_quote(t.start) for t in speaker):
            speaker = []
        # A capitalised first word that the article also writes in lower case opened a sentence ("Thank").
        keep = _quote_rules.ROLE_WORDS | _quote_rules.PRONOUNS | _quote_rules.DETERMINERS
        while speaker and speaker[0].text[:1].isupper() and speaker[0].lower in self.lower_words - keep:
            speaker = speaker[1:]
        return _speakers.trim_phrase(speaker) if len(speaker) > 1 else speaker

    def sentence_cues(self, start: int, end: int) -> tuple[list[Token], list[Attribution]]:
        if (start, end) not in self._cues:  # each sentence is read for mentions, quotes and indirect speech
            toks = _quote_rules.tokens(self.text, start, end)
            subject = _speakers.sentence_subject(self.text, toks)
            cues = [
                self.att_at(toks, k, subject) for k, t in enumerate(toks) if _quote_rules.is_cue(t, toks, k)
            ]
            self._cues[start, end] = (toks, cues)
        return self._cues[start, end]

    def register_mentions(self) -> None:
        """Remember every named speaker of a cue, in text order, for pronoun and role resolution."""
        for start, end in self.sentences:
            for att in self.sentence_cues(start, end)[1]:
                named = att.named or att.speaker
                if (
                    named
                    and named[0].stem not in _quote_rules.PRONOUNS | _quote_rules.RELATIVES
                    and not self.inside_quote(named[0].start)
                ):
                    self.mentions.add(named)

    def attribute_quote(self, start: int, end: int) -> tuple[Attribution | None, str] | None:
        """Find the cue and speaker of the quote text[start:end] and say whether it is direct or partial;
        None when it is no quote (a few quoted words with no reporting verb in their sentence)."""
        text = self.text
        s_start, s_end = self.sentence_of(start - 1)
        prev_quote_end = max([e + 1 for _, e in self.quotes if e < start] + [s_start])
        before = text[max(s_start, prev_quote_end) : start - 1]
        after_end = min([s for s, _ in self.quotes if s > end] + [len(text)])
        after = text[end + 1 : after_end]
        stripped = before.rstrip()
        before_toks = _quote_rules.tokens(text, max(s_start, prev_quote_end), start - 1)
        last_is_cue = bool(before_toks) and before_toks[-1].lower in _quote_rules.CUE_FORMS
        embedded = bool(stripped) and stripped[-1].isalnum() and not last_is_cue
        quoted_words = len(_quote_rules.tokens(text, start, end))
        ends_clause = text[end - 1] in ",.!?—-" if end > start else False
        kind = "partial" if embedded or (quoted_words <= _MAX_SCARE_WORDS and not ends_clause) else "direct"
        if kind == "direct":
            found = self._after_quote(after, end + 1) or self._before_quote(before, before_toks)
            if found:
                return self.according_to(start, end) or found, kind
        # Partial quotes (and direct ones without a cue beside them) take a cue from their sentence.
        q_sentence = self.sentence_of(start)
        toks, cues = self.sentence_cues(min(q_sentence[0], start), max(q_sentence[1], end))
        before_cues = [a for a in cues if a.cue and a.cue[0] < start and a.speaker]
        after_cues = [a for a in cues if a.cue and a.cue[0] > end and a.speaker]
        chosen = (_outer(text, before_cues) if before_cues else None) or (
            after_cues[0] if after_cues else None
        )
        if chosen is None and any(a.cue for a in cues):  # a cue without a speaker we can read
            chosen = Attribution([], next(a.cue for a in cues if a.cue))
        if chosen is None and kind == "partial":
            return None  # scare quotes: 'the so-called "experts"'
        return (self.according_to(start, end) if chosen else None) or chosen, kind

    def according_to(self, start: int, end: int) -> Attribution | None:
        """`"…," Sanders said, according to CNN` / `According to pool reports, Obama said "…"`: PolNeAR
        credits the outer source, so an `according to` in the quote's sentence wins over its verb."""
        span = (min(self.sentence_of(start)[0], start), max(self.sentence_of(end)[1], end))
        for att in self.sentence_cues(*span)[1]:
            if att.cue and att.speaker and self.text[att.cue[0] : att.cue[1]].lower() == "according to":
                return att
        return None

    def carry_over(self, previous: tuple[int, Attribution] | None, start: int) -> Attribution | None:
        """Attribute a quote with no cue of its own from its neighbourhood.

        `"A," he said. "B."` — B continues A's attribution (same cue, so both are one attribution);
        a quote opening the next paragraph keeps the speaker (a "floating" quote, no cue); otherwise the
        speaker of a reporting verb in the previous sentence (`Howard continued: …`) is taken.
        """
        if previous is not None:
            between = self.text[previous[0] + 1 : start - 1]
            if not any(mark in between for mark in '"“”') and len(between) < 200:
                if "\n" not in between:
                    return previous[1]
                head, _, tail = between.partition("\n")
                if not tail.strip() and len(head) < 150:
                    return Attribution(previous[1].speaker, None)
        s_start, _ = self.sentence_of(start - 1)
        if s_start > 0:
            p_start, p_end = self.sentence_of(s_start - 1)
            if p_end <= start and not any(m in self.text[p_start:p_end] for m in '"“”'):
                toks, cues = self.sentence_cues(p_start, p_end)
                cues = [c for c in cues if c.speaker]
                if cues:
                    return Attribution(cues[-1].speaker, None)
                if self.text[p_start:p_end].rstrip().endswith(":"):
                    return self.colon_subject(toks)
        return None

    def _after_quote(self, after: str, offset: int) -> Attribution | None:
        """`"…," Mr Putin told …` / `"…," said the minister` / `"…," according to X`."""
        head = after.lstrip()
        if head[:1] not in (",", "—", "–", "―", "-", "") and not head[:1].isalpha():
            return None
        toks = _quote_rules.tokens(self.text, offset, offset + min(len(after), 160))
        own_line = "\n" in after[: len(after) - len(head)]
        if toks and (head[:1] in ("—", "–", "―") or head[:1] == "-" and own_line):
            name = _speakers.speaker_after(
                self.text, toks, 0
            )  # a signature: '"…" ― Carlos Raúl', "-President Obama"
            line_end = self.text.find("\n", name[-1].end if name else offset)
            tail = self.text[name[-1].end : line_end if line_end >= 0 else len(self.text)] if name else "x"
            if not tail.strip().strip(".") or tail.lstrip().startswith(","):  # "― Name\xa0"
                return Attribution(self.clean(name), None)
        for k, tok in enumerate(toks[:25]):
            if _quote_rules.is_cue(tok, toks, k, _BESIDE_QUOTE) and (
                k < 4 or tok.lower not in _quote_rules.SIGN_FORMS
            ):
                if _segment.has_break(self.text, offset, tok.start):
                    return None
                att = self.att_at(toks, k, [])
                np = self.clean(_speakers.phrase_before_cue(self.text, toks, k)) if k > 0 else []
                before = att.speaker and att.speaker[-1].end <= tok.start  # "…," the dawn of X, Bozell says
                if np and (not before or np[-1] is att.speaker[-1]):
                    att = Attribution(np, att.cue, att.named if att.speaker[:1] == np[:1] else None)
                if not att.speaker and k > 0:  # '"…," House Speaker Paul Ryan, the convention chair, told'
                    att = Attribution(_speakers.speaker_after(self.text, toks, 0), att.cue)
                return att if att.speaker else None
        return None

    def _before_quote(self, before: str, toks: list[Token]) -> Attribution | None:
        """`Trump said: "…` / `Trump told reporters, "…` / `According to X, "…` / `X: "…`."""
        stripped = before.rstrip()
        if not toks or (
            stripped and stripped[-1] not in ",:" and toks[-1].lower not in _quote_rules.CUE_FORMS
        ):
            return None
        for k in range(len(toks) - 1, max(-1, len(toks) - 6), -1):
            if _quote_rules.is_cue(toks[k], toks, k, _BESIDE_QUOTE):
                att = self.att_at(toks, k, _speakers.sentence_subject(self.text, toks))
                return att if att.speaker else None
        if stripped.endswith(":") and len(toks) <= 6:
            phrase = _speakers.speaker_after(self.text, toks, 0)
            if phrase and phrase[-1] is toks[-1]:
                return Attribution(phrase, None)
        return self.colon_subject(toks) if stripped.endswith(":") else None

    def colon_subject(self, toks: list[Token]) -> Attribution | None:
        """A clause ending in a colon and no cue introduces its subject's words: `Trump leaned in and boomed:
        "…"`, `President Clinton released the following statement:`, `- Michael P. McDonald: "…"`."""
        opening = self.text[self.sentence_of(toks[0].start)[0] : toks[0].start] if toks else '"'
        if any(m in opening for m in '"“”') or any(
            _quote_rules.is_cue(t, toks, k) for k, t in enumerate(toks)
        ):
            return None  # the clause after an earlier quote ('"…," with Clinton:') has no subject
        name = _speakers.speaker_before(self.text, [*toks, Token("", toks[-1].end, toks[-1].end)], len(toks))
        if len(name) > 1 and all(_speakers.is_name_token(t) and not t.text[1:].isupper() for t in name):
            return Attribution(self.clean(name), None)
        subject = self.clean(_speakers.sentence_subject(self.text, toks))
        return Attribution(subject, None) if subject else None

    def build(
        self, start: int, end: int, att: Attribution | None, kind: str, ctx: tuple[int, int]
    ) -> ExtractedQuote:
        if kind != "indirect":
            end = _trim_end(self.text, start, end)
            ctx = (ctx[0], end) if ctx[1] > end and kind == "direct" else ctx
        mention = att.speaker if att else []
        named = att.named if att and att.named else self.mentions.resolve(mention)
        speaker = self.text[named[0].start : named[-1].end] if named else None
        return ExtractedQuote(
            text=self.text[start:end],
            start=start,
            end=end,
            speaker=speaker,
            speaker_start=named[0].start if named else None,
            speaker_end=named[-1].end if named else None,
            cue=self.text[att.cue[0] : att.cue[1]] if att and att.cue else None,
            kind=kind,
            context_start=ctx[0],
            context_end=ctx[1],
            cue_start=att.cue[0] if att and att.cue else None,
            cue_end=att.cue[1] if att and att.cue else None,
            mention_start=mention[0].start if mention else None,
            mention_end=mention[-1].end if mention else None,
        )


def _outer(text: str, cues: list[Attribution]) -> Attribution:
    """The cue nearest before a quote, unless it sits in the reported clause of the cue before it: in
    `Trump said that Clinton called it "…"`, `Ryan said the spate of shootings demands "…"` or `Clinton
    mocked it, saying anybody who complains "…"` PolNeAR credits the outer source."""
    last = cues[-1]
    if len(cues) < 2:
        return last
    prev = cues[-2]
    opener = last.speaker[0].lower == "that" or (
        last.speaker[0].lower in _quote_rules.RELATIVES and not last.named
    )
    gap = text[prev.cue[1] : last.speaker[0].start] if prev.cue else "x"
    in_clause = prev.speaker[-1].end <= prev.cue[0] and not gap.strip()  # "said the spate … demands"
    return prev if opener or in_clause else last


def _trim_end(text: str, start: int, end: int) -> int:
    """Drop the reporting sentence's punctuation from the end of a quote: '“It failed,” he said' -> 'It
    failed'; a quote's own full stop, question or exclamation mark stays."""
    trimmed = end
    while trimmed > start + 1 and text[trimmed - 1] in _BORROWED_PUNCTUATION:
        trimmed -= 1
    return trimmed if text[start:trimmed].strip() else end


_BORROWED_PUNCTUATION = frozenset(",;: \n\t—–-")
_BESIDE_QUOTE = (
    _quote_rules.SPEECH_FORMS | _quote_rules.SIGN_FORMS
)  # cues that attribute a quote next to them


def extract_quotes(text: str) -> list[ExtractedQuote]:
    """Extract quotes, speakers and cues from an article, in text order.

    >>> q = extract_quotes('"We will win," Mr Smith said.')[0]
    >>> (q.text, q.speaker, q.cue, q.kind)
    ('We will win', 'Mr Smith', 'said', 'direct')
    """
    if not isinstance(text, str):
        raise TypeError(f"extract_quotes expects the article as a str, got {type(text).__name__}")
    ex = _Extractor(text)
    ex.register_mentions()
    found: list[ExtractedQuote] = []
    quoted_sentences: set[tuple[int, int]] = set()
    previous: tuple[int, Attribution] | None = None  # end and attribution of the last attributed quote
    for start, end in ex.quotes:
        attributed = ex.attribute_quote(start, end)
        if attributed is None:
            continue
        att, kind = attributed
        if att is None and kind == "direct":
            att = ex.carry_over(previous, start)
        if att is None or not att.speaker:  # fall back on the last named speaker before it
            att = Attribution(ex.mentions.last(start), att.cue if att else None)
        if att is not None and att.speaker and (kind == "direct" or (att.cue and att.cue[0] > end)):
            previous = (end, att)
        sentence = ex.sentence_of(start)
        quoted_sentences.update({sentence, ex.sentence_of(end)})
        ctx = (start, end) if kind == "direct" else (min(sentence[0], start), max(sentence[1], end))
        found.append(ex.build(start, end, att, kind, ctx))
    for s_start, s_end in ex.sentences:
        if (s_start, s_end) in quoted_sentences or any(m in text[s_start:s_end] for m in '"“”'):
            continue
        toks, cues = ex.sentence_cues(s_start, s_end)
        for c_start, c_end, att in indirect_clauses(text, toks, cues, s_start, s_end):
            found.append(ex.build(c_start, c_end, att, "indirect", (c_start, c_end)))
    return sorted(found, key=lambda q: q.start)
