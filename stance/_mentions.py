"""The named speakers of an article, to resolve "he", "she" or "the minister" against."""

from __future__ import annotations

import bisect

from stance._quote_rules import (
    CONNECTORS,
    DETERMINERS,
    FEMALE_MARKERS,
    MALE_MARKERS,
    PERSONAL_PRONOUNS,
    PRONOUNS,
    ROLE_WORDS,
    Token,
)


def is_bare_role(phrase: list[Token]) -> bool:
    return all(t.lower in ROLE_WORDS | DETERMINERS | CONNECTORS for t in phrase)


class Mentions:
    """The named speakers of an article's cues in text order, to resolve "he" or "the minister" against."""

    def __init__(self) -> None:
        self.items: list[list[Token]] = []

    def add(self, phrase: list[Token]) -> None:
        bisect.insort(self.items, phrase, key=lambda p: p[0].start)

    def last(self, pos: int) -> list[Token]:
        """The last named speaker before pos (news keeps quoting whoever it last named), or []."""
        earlier = self.before(pos)
        return earlier[0] if earlier else []

    def before(self, pos: int) -> list[list[Token]]:
        return [m for m in self.items if m[0].start < pos][::-1]

    def resolve(self, phrase: list[Token]) -> list[Token]:
        """Replace a pronoun or a bare role ("the minister") by the last named speaker that fits."""
        if not phrase:
            return phrase
        first, earlier = phrase[0].stem, self.before(phrase[0].start)
        named = [m for m in earlier if not is_bare_role(m)]
        if first in PERSONAL_PRONOUNS:
            wanted = "female" if first == "she" else "male"
            fits = [m for m in named if gender(m) == wanted] + [m for m in named if gender(m) is None]
            fits.sort(key=lambda m: -m[0].start)  # the nearest fitting mention, a known gender first on ties
            return fits[0] if fits else phrase
        if first in PRONOUNS:
            return phrase
        if is_bare_role(phrase):
            head = phrase[-1].lower
            for mention in named:
                if head in (t.lower for t in mention):
                    return mention
        return phrase


def gender(phrase: list[Token]) -> str | None:
    """ "female" or "male" from the first title or first name in the phrase that tells, else None."""
    for tok in phrase:
        if tok.stem in FEMALE_MARKERS:
            return "female"
        if tok.stem in MALE_MARKERS:
            return "male"
    return None
