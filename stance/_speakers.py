"""Speaker phrases next to a reporting verb, and the speaker a cue attributes its words to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stance._quote_rules import (
    ADVERBS,
    AUXILIARIES,
    CONNECTORS,
    CUE_FORMS,
    DESCRIBERS,
    DETERMINERS,
    FUNCTION_WORDS,
    INTRO_WORDS,
    INVERSION_FORMS,
    LISTENER_FORMS,
    NON_NAME_CAPS,
    PHRASE_LINKS,
    PRONOUNS,
    QUANTIFIERS,
    RELATIVES,
    ROLE_WORDS,
    TIME_WORDS,
    Token,
    cue_span,
)


def is_name_token(token: Token) -> bool:
    word = token.text
    participle = len(word) > 5 and word.endswith(("ing", "ed"))  # "Reached by POLITICO", "Speaking to"
    time = token.lower in TIME_WORDS or token.lower.split("-")[0] in TIME_WORDS  # "Friday", "Twenty-two"
    return word[:1].isupper() and token.lower not in NON_NAME_CAPS and not participle and not time


def is_speaker_token(token: Token) -> bool:
    return is_name_token(token) or token.lower in ROLE_WORDS or token.lower.rstrip("'’s") in ROLE_WORDS


def trim_phrase(phrase: list[Token]) -> list[Token]:
    """Drop connectors at either end of a speaker phrase ("of the minister" -> "the minister")."""
    while phrase and phrase[-1].lower in CONNECTORS | DETERMINERS:
        phrase = phrase[:-1]
    while phrase and phrase[0].lower in CONNECTORS - {"the"}:
        phrase = phrase[1:]
    return phrase


def speaker_before(text: str, toks: list[Token], i: int) -> list[Token]:
    """The speaker phrase that ends just before toks[i] (skipping adverbs, auxiliaries, a parenthesis)."""
    j = i - 1
    while j >= 0 and i - j <= 3 and (toks[j].lower in ADVERBS or toks[j].lower.endswith("ly")):
        j -= 1
    if (
        j >= 0 and text[toks[j].end : toks[j + 1].start].strip(" .,") == ")"
    ):  # "Sen. Marco Rubio (R-Fla.) said"
        opening = text.rfind("(", 0, toks[j].start)
        while j >= 0 and toks[j].start > opening:
            j -= 1
    phrase: list[Token] = []
    while j >= 0:
        tok = toks[j]
        gap = text[tok.end : (phrase[0].start if phrase else toks[j + 1].start)]
        if gap.strip(" ") and not (gap.strip() in ("'s", "’s") and phrase) and gap.strip(" (") != "":
            break
        if not phrase and (tok.stem in PRONOUNS or tok.lower in RELATIVES):
            return [tok]
        if (
            is_speaker_token(tok)
            or _surname(tok, j == i - 1)
            or (phrase and (tok.lower in CONNECTORS or tok.text[:1].isdigit()))
        ):
            phrase.insert(0, tok)
        elif phrase and tok.lower in DETERMINERS:
            phrase.insert(0, tok)
            break
        else:
            break
        j -= 1
    phrase = trim_phrase(phrase)
    if (
        not phrase
        and j >= 0
        and not text[toks[j].end : toks[i].start].strip(" ")
        and toks[i].lower[-3:] != "ing"
    ):
        phrase = _described(text, toks, j)
    return (
        phrase
        if any(is_speaker_token(t) for t in phrase)
        or phrase[:1]
        and (phrase[0].lower in DESCRIBERS or _surname(phrase[-1], phrase[-1] is toks[i - 1]))
        else []
    )


def _surname(tok: Token, beside_cue: bool) -> bool:
    """ "Husted said", "Ebeling told": a capitalised -ed/-ing word is a name right before its cue, not a
    participle ("Reached by POLITICO, …")."""
    return beside_cue and tok.text[:1].isupper() and tok.lower.endswith(("ed", "ing"))


def _described(text: str, toks: list[Token], j: int) -> list[Token]:
    """ "the billionaire business mogul [said]", "the GOP front-runner", "the ad’s narrator": a determiner
    and up to four words ending in a lower-case noun."""
    if not toks[j].text.islower():
        return []
    for d in range(j, max(-1, j - 5), -1):
        words = toks[d : j + 1]
        if any(text[a.end : b.start].strip(" -") for a, b in zip(words, words[1:], strict=False)):
            return []
        if toks[d].lower in DESCRIBERS and d < j:
            banned = CUE_FORMS | ADVERBS | FUNCTION_WORDS | TIME_WORDS
            age = [
                t for t in words if t.text.isdigit() and text[t.end : t.end + 1] == "-"
            ]  # "the 43-year-old"
            if all((_WORDLIKE.fullmatch(t.text) or t in age) and t.lower not in banned for t in words[1:]):
                return words
            return []
    return []


_WORDLIKE = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+-[a-z-]+")


def speaker_after(text: str, toks: list[Token], i: int) -> list[Token]:
    """The speaker phrase that starts at toks[i] ("said [the minister]", "said [pollster Frank Luntz]")."""
    phrase: list[Token] = []
    for j in range(i, len(toks)):
        tok = toks[j]
        if phrase and text[phrase[-1].end : tok.start].strip(" "):
            break
        if not phrase and tok.stem in PRONOUNS - {"it", "who"}:
            return [tok]
        ahead = toks[j + 1 : j + 3]
        descriptor = not tok.text[:1].isupper() and any(is_name_token(t) for t in ahead) and len(phrase) < 3
        opener = not phrase and tok.lower in DETERMINERS - {"that"}  # "said that …" opens a clause
        if is_speaker_token(tok) or tok.lower in CONNECTORS or opener:
            phrase.append(tok)
        elif (
            descriptor
            and _WORDLIKE.fullmatch(tok.text)
            and tok.lower not in CUE_FORMS | ADVERBS | FUNCTION_WORDS
        ):
            phrase.append(tok)  # "pollster Frank Luntz", "Texas delegate Bill Eastland"
        else:
            break
    phrase = trim_phrase(phrase)
    return phrase if any(is_speaker_token(t) for t in phrase) else []


def described_after(text: str, toks: list[Token], i: int) -> list[Token]:
    """A described speaker after an inverted cue, up to a comma or a relative clause: '"…," said [a person
    close to the Clintons]', 'wrote [one commenter]', 'said [one of those advisers], who …'."""
    if i >= len(toks) or toks[i].lower not in DESCRIBERS | QUANTIFIERS:
        return []
    phrase = [toks[i]]
    banned = RELATIVES | CUE_FORMS | ADVERBS | TIME_WORDS | (FUNCTION_WORDS - PHRASE_LINKS - DESCRIBERS)
    for tok in toks[i + 1 : i + 9]:
        if text[phrase[-1].end : tok.start].strip(" -") or tok.lower in banned:
            break
        phrase.append(tok)
    phrase = trim_phrase(phrase)
    return phrase if phrase and (len(phrase) > 1 or phrase[0].lower in QUANTIFIERS) else []


def _subject_start(text: str, toks: list[Token]) -> int:
    """Index of the first token after a dateline ("WASHINGTON —") or an introductory phrase that ends at
    a comma ("In a statement released Thursday, …", "On Tuesday, …", "Like Corker, …")."""
    if (
        len(toks) > 1
        and toks[0].text.isupper()
        and text[toks[0].end : toks[1].start].strip(" ,(")[:1] in "—–-"
    ):
        return 1
    if not toks or toks[0].lower not in INTRO_WORDS:
        return 0
    commas = [i for i in range(1, min(len(toks), 16)) if "," in text[toks[i - 1].end : toks[i].start]]
    for i in commas:  # "Speaking in Salem, New Hampshire, Trump said": skip list items and places
        phrase = speaker_after(text, toks, i)
        if phrase and not _followed_by_comma(text, phrase):
            return i
    return commas[0] if commas else 0


def _followed_by_comma(text: str, phrase: list[Token]) -> bool:
    return text[phrase[-1].end : phrase[-1].end + 2].strip()[:1] == ","


def _ends_clause(text: str, phrase: list[Token]) -> bool:
    """ "says Carl Anthony, historian" / "said Mr Smith." and not "said Republicans are …"."""
    rest = text[phrase[-1].end : phrase[-1].end + 3].lstrip(" )")
    return not rest or rest[0] in ",.;:!?—–\n"


def sentence_subject(text: str, toks: list[Token]) -> list[Token]:
    """A name or role phrase opening the sentence ("Russian Chief of General Staff Valery Gerasimov")."""
    first = _subject_start(text, toks)
    for i in range(first, min(len(toks), first + 3)):
        if toks[i].stem in PRONOUNS - {"it", "who", "you"}:
            return [toks[i]]
        phrase = speaker_after(text, toks, i)
        if phrase:
            return phrase
        if toks[i].lower not in NON_NAME_CAPS:
            break
    return []


def phrase_before_cue(text: str, toks: list[Token], k: int) -> list[Token]:
    """The words between a closing quote and its cue toks[k], up to an appositive or adverb:
    '"…," a narrator in the Clinton ad asks', '"…," Scott Pruitt, the attorney general, said'."""
    phrase: list[Token] = []
    for tok in toks[:k]:
        if phrase and text[phrase[-1].end : tok.start].strip(" "):
            break  # a comma, dash or bracket opens an appositive
        function = tok.lower in FUNCTION_WORDS - PHRASE_LINKS - DESCRIBERS
        if tok.lower in RELATIVES | ADVERBS | CUE_FORMS | TIME_WORDS or function or tok.lower.endswith("ly"):
            break
        phrase.append(tok)
    rest = toks[len(phrase) : k]
    if (
        not phrase
        or len(phrase) > 10
        or not (is_speaker_token(phrase[0]) or phrase[0].stem in PRONOUNS or phrase[0].lower in DESCRIBERS)
    ):
        return []
    appositive = rest and text[phrase[-1].end : rest[0].start].strip(" ")[:1] in (",", "—", "–", "(")
    if rest and not appositive and not all(t.lower in ADVERBS or t.lower.endswith("ly") for t in rest):
        return []
    return trim_phrase(phrase)


@dataclass(frozen=True)
class Attribution:
    """The words naming the speaker beside a cue (possibly "he" or "who"), the cue's span, and the named
    speaker those words stand for when the cue's own sentence tells ("X, who said" -> X)."""

    speaker: list[Token]
    cue: tuple[int, int] | None
    named: list[Token] | None = None


def antecedent(text: str, toks: list[Token], j: int) -> list[Token]:
    """The phrase a relative pronoun toks[j] refers to: "Gov. Chris Christie, who" -> Gov. Chris Christie."""
    if j == 0 or text[toks[j - 1].end : toks[j].start].strip(" ,"):
        return []
    phrase = speaker_before(text, toks[:j] + [Token("", toks[j - 1].end, toks[j - 1].end)], j)
    return [t for t in phrase if t.lower not in RELATIVES]


def attribute_at(text: str, toks: list[Token], k: int, subject: list[Token]) -> Attribution:
    """Speaker of the cue toks[k]: subject before it, the phrase after it ("said X"), or the sentence subject."""
    cue = cue_span(toks, k)
    if toks[k].lower == "according":
        return Attribution(speaker_after(text, toks, k + 2), cue)
    before = speaker_before(text, toks, k)
    if before and before[0].lower in RELATIVES:
        j = toks.index(before[0])
        return Attribution(before, cue, antecedent(text, toks, j) or None)
    participle = toks[k].lower.endswith("ing")
    j = toks.index(before[0]) if before else 0
    listener = j > 0 and toks[j - 1].lower == "to"  # "sent an email to supporters saying …"
    if (
        participle
        and before
        and subject
        and before[0].start > subject[-1].end
        and (before[0].lower in DETERMINERS or listener)
    ):
        return Attribution(subject, cue)  # "Trump issued a statement saying …": the subject speaks
    if before:
        return Attribution(before, cue)
    gap = text[toks[k - 1].end : toks[k].start] if k else ""
    topic = k + 1 < len(toks) and toks[k + 1].lower == "of"  # "said of Sanders: …" names the topic
    inverted = toks[k].lower in INVERSION_FORMS - LISTENER_FORMS and not topic
    after = speaker_after(text, toks, k + 1) if inverted else []
    if after and after[-1].text.endswith(("'s", "’s")):
        after = []  # "disputed Russia's claim": a possessive starts the object, not the speaker
    if after and (k > 0 and gap.strip(" ,\"”’'—–-")):
        after = []
    if not after and toks[k].lower in INVERSION_FORMS and (k == 0 or any(m in gap for m in '"”')):
        after = described_after(text, toks, k + 1)
    if after and _ends_clause(text, after):
        return Attribution(after, cue)  # '"…," said Mr Smith.' / "The paradox, says Carl Anthony, is …"
    appositive = subject and _followed_by_comma(text, subject) and subject[-1].end < toks[k].start
    if appositive and "," in gap and not any(m in gap for m in '"”'):
        return Attribution(subject, cue)  # "Tad Devine, Sanders' senior media adviser, said …"
    nxt = next((t for t in toks[k + 1 :] if t.start >= after[-1].end), None) if after else None
    if after and nxt is not None and nxt.lower in AUXILIARIES and not _ends_clause(text, after):
        after = []  # "said the Florida senator can …": the reported clause's subject
    if after and after[0].stem not in PRONOUNS:  # "said he had …" starts the reported clause
        return Attribution(after, cue)
    return Attribution(subject, cue)
