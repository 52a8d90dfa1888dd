"""Indirect speech: the reported clause of `X said (that) …`, `…, X said.` and `According to X, …`."""

from __future__ import annotations

from stance import _quote_rules
from stance._quote_rules import Token
from stance._speakers import Attribution, is_name_token

_CLAUSE_OPENERS = (
    _quote_rules.PRONOUNS | _quote_rules.DETERMINERS | {"there", "if", "whether", "no", "all", "some", "many"}
)
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


def indirect_clauses(
    text: str, toks: list[Token], cues: list[Attribution], s_start: int, s_end: int
) -> list[tuple[int, int, Attribution]]:
    """The reported clause of one sentence (`X said (that) …`, `…, X said.`, `According to X, …`), from the
    sentence's tokens and the attributions of its cues (`stance.quotes`' `sentence_cues`)."""
    index = {tok.start: k for k, tok in enumerate(toks)}
    for att in cues:
        k = index[att.cue[0]] if att.cue else -1
        speech = k >= 0 and _quote_rules.is_cue(toks[k], toks, k, _quote_rules.SPEECH_FORMS)
        if not speech or toks[k].lower.endswith("ing") and k < 2 or not att.speaker:
            continue
        span = _reported_span(text, toks, k, att, s_start, s_end)
        if span and len(_quote_rules.tokens(text, *span)) >= 3:
            return [
                (*span, att)
            ]  # one reported clause per sentence keeps nested reports ("X said Y claimed …") whole
    return []


def _reported_span(
    text: str, toks: list[Token], k: int, att: Attribution, s_start: int, s_end: int
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
        and len(_quote_rules.tokens(text, s_start, s_start + len(comma_before))) >= 3
    ):
        return s_start, s_start + len(comma_before) - 1  # "…, X said." / "…, said X."
    nxt = k + 1
    if _tok_is(toks, nxt, "that"):
        return (toks[nxt + 1].start, end) if nxt + 1 < len(toks) else None
    for j in range(nxt, min(len(toks), nxt + 9)):
        if text[toks[j - 1].end : toks[j].start].strip(" ") or _quote_rules.is_cue(toks[j], toks, j):
            break
        if toks[j].lower == "that" and j + 1 < len(toks):
            return toks[j + 1].start, end
    if toks[k].lower not in _quote_rules.BARE_CLAUSE_FORMS:
        return None
    if toks[k].lower in _quote_rules.LISTENER_FORMS:
        while nxt < len(toks) and (toks[nxt].lower in _LISTENERS or is_name_token(toks[nxt])):
            nxt += 1
    if nxt < len(toks) and toks[nxt].lower in _CLAUSE_OPENERS | {"he", "she"} and toks[nxt].lower != "that":
        return toks[nxt].start, end
    return None


def _tok_is(toks: list[Token], i: int, word: str) -> bool:
    return i < len(toks) and toks[i].lower == word
