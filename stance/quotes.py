"""Rule-based quote and speaker extraction from news text (direct, partial and indirect speech)."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from stance import _quote_rules as r
from stance._quote_rules import Token

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


@dataclass(frozen=True)
class _Attribution:
    speaker: list[Token]
    cue: tuple[int, int] | None


def _attribute_at(text: str, toks: list[Token], k: int, subject: list[Token]) -> _Attribution:
    """Speaker of the cue toks[k]: subject before it, the phrase after it ("said X"), or the sentence subject."""
    cue = r.cue_span(toks, k)
    if toks[k].lower == "according":
        return _Attribution(r.speaker_after(text, toks, k + 2), cue)
    before = r.speaker_before(text, toks, k)
    if before:
        return _Attribution(before, cue)
    after = (
        r.speaker_after(text, toks, k + 1) if toks[k].lower in r.INVERSION_FORMS - r.LISTENER_FORMS else []
    )
    if after and after[-1].text.endswith(("'s", "’s")):
        after = []  # "disputed Russia's claim": a possessive starts the object, not the speaker
    if after and (k == 0 or not text[toks[k - 1].end : toks[k].start].strip(" ,\"”’'—–-")):
        return _Attribution(after, cue)
    return _Attribution(subject, cue)


class _Extractor:
    def __init__(self, text: str) -> None:
        self.text = text
        self.sentences = r.sentences(text)
        self.sentence_starts = [s for s, _ in self.sentences]
        self.quotes = r.quote_spans(text)
        self.quote_starts = [s for s, _ in self.quotes]
        self.lower_words = {m.group() for m in re.finditer(r"\b[a-z][a-z'’]+\b", text)}
        self.mentions: list[tuple[int, list[Token]]] = []

    def sentence_of(self, pos: int) -> tuple[int, int]:
        i = max(0, bisect.bisect_right(self.sentence_starts, pos) - 1)
        return self.sentences[i]

    def inside_quote(self, pos: int) -> bool:
        i = bisect.bisect_right(self.quote_starts, pos) - 1
        return i >= 0 and self.quotes[i][0] <= pos < self.quotes[i][1]

    def att_at(self, toks: list[Token], k: int, subject: list[Token]) -> _Attribution:
        """`_attribute_at` that ignores cues and speakers inside quotes and drops words that are no name."""
        if self.inside_quote(toks[k].start):
            return _Attribution([], None)
        att = _attribute_at(self.text, toks, k, subject)
        speaker = att.speaker
        if any(self.inside_quote(t.start) for t in speaker) or (
            speaker and speaker[-1].text.endswith(("'s", "’s"))
        ):
            speaker = []
        # A capitalised first word that the article also writes in lower case opened a sentence ("Thank").
        keep = r.ROLE_WORDS | r.PRONOUNS | r.DETERMINERS
        while speaker and speaker[0].text[:1].isupper() and speaker[0].lower in self.lower_words - keep:
            speaker = speaker[1:]
        return _Attribution(r.trim_phrase(speaker) if len(speaker) > 1 else speaker, att.cue)

    def sentence_cues(self, start: int, end: int) -> tuple[list[Token], list[_Attribution]]:
        toks = r.tokens(self.text, start, end)
        subject = r.sentence_subject(self.text, toks)
        cues = [self.att_at(toks, k, subject) for k, t in enumerate(toks) if r.is_cue(t, toks, k)]
        return toks, cues

    def register_mentions(self) -> None:
        """Remember every named speaker of a cue, in text order, for pronoun and role resolution."""
        for start, end in self.sentences:
            _, cues = self.sentence_cues(start, end)
            for att in cues:
                if att.speaker and att.speaker[0].lower not in r.PRONOUNS:
                    self.mentions.append((att.speaker[0].start, att.speaker))
        self.mentions.sort(key=lambda item: item[0])

    def last_mention(self, pos: int) -> list[Token]:
        """The last named speaker of a cue before pos (news keeps quoting whoever it last named), or []."""
        for start, mention in reversed(self.mentions):
            if start < pos and not self.inside_quote(start):
                return mention
        return []

    def resolve(self, phrase: list[Token]) -> list[Token]:
        """Replace a pronoun or a bare role ("the minister") by the last named speaker that fits."""
        if not phrase:
            return phrase
        words = [t.lower for t in phrase]
        pos = phrase[0].start
        earlier = [m for p, m in self.mentions if p < pos][::-1]
        if words[0] in r.PERSONAL_PRONOUNS:
            female = words[0] == "she"
            for mention in earlier:
                is_female = any(t.lower in r.FEMALE_MARKERS for t in mention)
                if is_female == female and not _is_bare_role(mention):
                    return mention
            return earlier[0] if earlier else phrase
        if words[0] in r.PRONOUNS:
            return phrase
        if _is_bare_role(phrase):
            head = words[-1]
            for mention in earlier:
                if head in (t.lower for t in mention) and not _is_bare_role(mention):
                    return mention
        return phrase

    def attribute_quote(self, start: int, end: int) -> tuple[_Attribution | None, str]:
        """Find the cue and speaker of the quote text[start:end] and say whether it is direct or partial."""
        text = self.text
        s_start, s_end = self.sentence_of(start - 1)
        prev_quote_end = max([e + 1 for _, e in self.quotes if e < start] + [s_start])
        before = text[max(s_start, prev_quote_end) : start - 1]
        after_end = min([s for s, _ in self.quotes if s > end] + [len(text)])
        after = text[end + 1 : after_end]
        stripped = before.rstrip()
        before_toks = r.tokens(text, max(s_start, prev_quote_end), start - 1)
        last_is_cue = bool(before_toks) and before_toks[-1].lower in r.CUE_FORMS
        embedded = bool(stripped) and stripped[-1].isalnum() and not last_is_cue
        quoted_words = len(r.tokens(text, start, end))
        ends_clause = text[end - 1] in ",.!?—-" if end > start else False
        kind = "partial" if embedded or (quoted_words <= _MAX_SCARE_WORDS and not ends_clause) else "direct"
        if kind == "direct":
            found = self._after_quote(after, end + 1) or self._before_quote(before, before_toks)
            if found:
                return found, kind
        # Partial quotes (and direct ones without a cue beside them) take a cue from their sentence.
        q_sentence = self.sentence_of(start)
        toks, cues = self.sentence_cues(min(q_sentence[0], start), max(q_sentence[1], end))
        before_cues = [a for a in cues if a.cue and a.cue[0] < start and a.speaker]
        after_cues = [a for a in cues if a.cue and a.cue[0] > end and a.speaker]
        chosen = (before_cues[-1] if before_cues else None) or (after_cues[0] if after_cues else None)
        if chosen is None and any(a.cue for a in cues):  # a cue without a speaker we can read
            chosen = _Attribution([], next(a.cue for a in cues if a.cue))
        if chosen is None and kind == "partial":
            return None, "drop"
        return chosen, kind

    def carry_over(self, previous: tuple[int, _Attribution] | None, start: int) -> _Attribution | None:
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
                    return _Attribution(previous[1].speaker, None)
        s_start, _ = self.sentence_of(start - 1)
        if s_start > 0:
            p_start, p_end = self.sentence_of(s_start - 1)
            if p_end <= start and not any(m in self.text[p_start:p_end] for m in '"“”'):
                toks, cues = self.sentence_cues(p_start, p_end)
                cues = [c for c in cues if c.speaker]
                if cues:
                    return _Attribution(cues[-1].speaker, None)
        return None

    def _after_quote(self, after: str, offset: int) -> _Attribution | None:
        """`"…," Mr Putin told …` / `"…," said the minister` / `"…," according to X`."""
        head = after.lstrip()
        if head[:1] not in (",", "—", "–", "-", "") and not head[:1].isalpha():
            return None
        toks = r.tokens(self.text, offset, offset + min(len(after), 160))
        for k, tok in enumerate(toks[:25]):
            if r.is_cue(tok, toks, k, r.SPEECH_FORMS):
                if r.has_break(self.text, offset, tok.start):
                    return None
                att = self.att_at(toks, k, [])
                if not att.speaker and k > 0:  # '"…," House Speaker Paul Ryan, the convention chair, told'
                    att = _Attribution(r.speaker_after(self.text, toks, 0), att.cue)
                return att if att.speaker else None
        return None

    def _before_quote(self, before: str, toks: list[Token]) -> _Attribution | None:
        """`Trump said: "…` / `Trump told reporters, "…` / `According to X, "…` / `X: "…`."""
        stripped = before.rstrip()
        if not toks or (stripped and stripped[-1] not in ",:" and toks[-1].lower not in r.CUE_FORMS):
            return None
        for k in range(len(toks) - 1, max(-1, len(toks) - 6), -1):
            if r.is_cue(toks[k], toks, k, r.SPEECH_FORMS):
                att = self.att_at(toks, k, r.sentence_subject(self.text, toks))
                return att if att.speaker else None
        if stripped.endswith(":") and len(toks) <= 6:
            phrase = r.speaker_after(self.text, toks, 0)
            if phrase and phrase[-1] is toks[-1]:
                return _Attribution(phrase, None)
        return None

    def build(
        self, start: int, end: int, att: _Attribution | None, kind: str, ctx: tuple[int, int]
    ) -> ExtractedQuote:
        mention = att.speaker if att else []
        named = self.resolve(mention)
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


_CLAUSE_OPENERS = r.PRONOUNS | r.DETERMINERS | {"there", "if", "whether", "no", "all", "some", "many"}
_LISTENERS = frozenset(
    [
        "reporters",
        "me",
        "us",
        "him",
        "her",
        "them",
        "journalists",
        "supporters",
        "voters",
        "crowd",
        "audience",
    ]
)


def _clause_end(text: str, end: int) -> int:
    while end > 0 and text[end - 1] in " .!?;:":
        end -= 1
    return end


def _indirect_clauses(ex: _Extractor, s_start: int, s_end: int) -> list[tuple[int, int, _Attribution]]:
    """Reported clauses of one sentence: `X said (that) …`, `…, X said.`, `According to X, …`."""
    text = ex.text
    toks = r.tokens(text, s_start, s_end)
    subject = r.sentence_subject(text, toks)
    out: list[tuple[int, int, _Attribution]] = []
    for k, tok in enumerate(toks):
        if not r.is_cue(tok, toks, k, r.SPEECH_FORMS) or tok.lower.endswith("ing") and k < 2:
            continue
        att = ex.att_at(toks, k, subject)
        if not att.speaker:
            continue
        span = _reported_span(text, toks, k, att, s_start, s_end)
        if span and len(r.tokens(text, *span)) >= 3:
            out.append((*span, att))
            break  # one reported clause per sentence keeps nested reports ("X said Y claimed …") whole
    return out


def _reported_span(
    text: str, toks: list[Token], k: int, att: _Attribution, s_start: int, s_end: int
) -> tuple[int, int] | None:
    end = _clause_end(text, s_end)
    first_speaker = att.speaker[0].start
    comma_before = text[s_start : min(first_speaker, toks[k].start)].rstrip()
    if toks[k].lower == "according":
        if comma_before.endswith(","):  # "…, according to X."
            return s_start, len(comma_before) + s_start - 1
        tail = att.speaker[-1].end
        rest = text[tail:end]
        return (tail + len(rest) - len(rest.lstrip(" ,")), end) if rest.lstrip(" ,") else None
    tail = [t for t in toks[k + 1 :] if t.start >= att.speaker[-1].end]
    near_end = len(tail) <= 6 and not any(t.lower == "that" for t in tail)
    if (
        near_end
        and comma_before.endswith(",")
        and len(r.tokens(text, s_start, s_start + len(comma_before))) >= 3
    ):
        return s_start, s_start + len(comma_before) - 1  # "…, X said." / "…, said X."
    nxt = k + 1
    if _tok_is(toks, nxt, "that"):
        return (toks[nxt + 1].start, end) if nxt + 1 < len(toks) else None
    for j in range(nxt, min(len(toks), nxt + 9)):
        if text[toks[j - 1].end : toks[j].start].strip(" ") or r.is_cue(toks[j], toks, j):
            break
        if toks[j].lower == "that" and j + 1 < len(toks):
            return toks[j + 1].start, end
    if toks[k].lower not in r.BARE_CLAUSE_FORMS:
        return None
    if toks[k].lower in r.LISTENER_FORMS:
        while nxt < len(toks) and (toks[nxt].lower in _LISTENERS or r.is_name_token(toks[nxt])):
            nxt += 1
    if nxt < len(toks) and toks[nxt].lower in _CLAUSE_OPENERS | {"he", "she"} and toks[nxt].lower != "that":
        return toks[nxt].start, end
    return None


def _tok_is(toks: list[Token], i: int, word: str) -> bool:
    return i < len(toks) and toks[i].lower == word


def _is_bare_role(phrase: list[Token]) -> bool:
    return all(t.lower in r.ROLE_WORDS | r.DETERMINERS | r.CONNECTORS for t in phrase)


def extract_quotes(text: str) -> list[ExtractedQuote]:
    """Extract quotes, speakers and cues from an article, in text order.

    >>> q = extract_quotes('"We will win," Mr Smith said.')[0]
    >>> (q.text, q.speaker, q.cue, q.kind)
    ('We will win,', 'Mr Smith', 'said', 'direct')
    """
    if not isinstance(text, str):
        raise TypeError(f"extract_quotes expects the article as a str, got {type(text).__name__}")
    ex = _Extractor(text)
    ex.register_mentions()
    found: list[ExtractedQuote] = []
    quoted_sentences: set[tuple[int, int]] = set()
    previous: tuple[int, _Attribution] | None = None  # end and attribution of the last attributed quote
    for start, end in ex.quotes:
        att, kind = ex.attribute_quote(start, end)
        if kind == "drop":
            continue
        if att is None and kind == "direct":
            att = ex.carry_over(previous, start)
        if att is None or not att.speaker:  # fall back on the last named speaker before it
            att = _Attribution(ex.last_mention(start), att.cue if att else None)
        if att is not None and att.speaker and (kind == "direct" or (att.cue and att.cue[0] > end)):
            previous = (end, att)
        sentence = ex.sentence_of(start)
        quoted_sentences.update({sentence, ex.sentence_of(end)})
        ctx = (start, end) if kind == "direct" else (min(sentence[0], start), max(sentence[1], end))
        found.append(ex.build(start, end, att, kind, ctx))
    for s_start, s_end in ex.sentences:
        if (s_start, s_end) in quoted_sentences or any(m in text[s_start:s_end] for m in '"“”'):
            continue
        for c_start, c_end, att in _indirect_clauses(ex, s_start, s_end):
            found.append(ex.build(c_start, c_end, att, "indirect", (c_start, c_end)))
    return sorted(found, key=lambda q: q.start)
