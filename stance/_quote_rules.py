"""Lexicons and low-level text rules (quote marks, sentences, speaker phrases) used by stance.quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass


def _words(text: str) -> list[str]:
    return text.split()


# Reporting verbs by lemma; forms are generated below. SPEECH verbs may introduce indirect speech and
# attribute a quote next to them; EVALUATIVE verbs only attribute quoted words inside their own sentence.
_SPEECH = _words(
    """say tell add write ask note explain state declare insist acknowledge admit argue claim continue
    conclude respond reply warn tweet post announce reiterate stress emphasize emphasise suggest
    recall remark observe concede confirm deny maintain contend counter quip joke shout yell boast
    complain lament report testify predict promise pledge vow assert allege agree caution charge
    contend explain estimate reveal recount describe dispute reject tout urge demand proclaim mutter
    whisper scream write wonder muse point complain grumble thunder retort interject elaborate
    clarify"""
)
_EVALUATIVE = _words(
    """call praise criticize criticise accuse slam blast dismiss mock hail decry condemn label brand
    characterize characterise welcome applaud attack question defend blame"""
)
_IRREGULAR = {
    "say": ("say", "says", "said", "saying"),
    "tell": ("tell", "tells", "told", "telling"),
    "write": ("write", "writes", "wrote", "written", "writing"),
    "admit": ("admit", "admits", "admitted", "admitting"),
    "testify": ("testify", "testifies", "testified", "testifying"),
    "reply": ("reply", "replies", "replied", "replying"),
    "deny": ("deny", "denies", "denied", "denying"),
    "quip": ("quip", "quips", "quipped", "quipping"),
    "retort": ("retort", "retorts", "retorted", "retorting"),
}


def _forms(lemma: str) -> tuple[str, ...]:
    if lemma in _IRREGULAR:
        return _IRREGULAR[lemma]
    if lemma.endswith("e"):
        return (lemma, lemma + "s", lemma + "d", lemma[:-1] + "ing")
    if lemma.endswith("y"):
        return (lemma, lemma[:-1] + "ies", lemma[:-1] + "ied", lemma + "ing")
    suffix_s = "es" if lemma.endswith(("sh", "ch", "s", "x")) else "s"
    return (lemma, lemma + suffix_s, lemma + "ed", lemma + "ing")


SPEECH_FORMS = frozenset(form for lemma in _SPEECH for form in _forms(lemma))
EVALUATIVE_FORMS = frozenset(form for lemma in _EVALUATIVE for form in _forms(lemma))
CUE_FORMS = SPEECH_FORMS | EVALUATIVE_FORMS
# Lemmas that take a clause without "that" ("Trump said he would win"), and verbs of the told-class whose
# object is the listener, not the speaker.
BARE_CLAUSE_FORMS = frozenset(_forms("say") + _forms("tell") + _forms("add") + _forms("insist"))
# Verbs that may come before their speaker: '"…," said Mr Smith'.
INVERSION_FORMS = frozenset(
    form
    for lemma in _words("say add ask write continue explain note recall reply respond tell")
    for form in _forms(lemma)[:3]
)
LISTENER_FORMS = frozenset(_forms("tell") + _forms("ask") + _forms("urge") + _forms("warn"))

PRONOUNS = frozenset(_words("he she they i we it you who"))
PERSONAL_PRONOUNS = frozenset(_words("he she"))
DETERMINERS = frozenset(_words("the a an his her their its our this that these those"))
# Lower-case words that can head or modify a speaker description ("the chief of staff", "a senior aide").
ROLE_WORDS = frozenset(
    _words(
        """spokesman spokeswoman spokesperson official officials minister ministers president chief staff
    secretary aide aides adviser advisers advisor advisors director governor senator congressman
    congresswoman candidate nominee leader leaders chairman chairwoman chair commander general
    ambassador envoy prosecutor prosecutors lawyer lawyers attorney attorneys analyst analysts
    expert experts officer officers police ministry government campaign committee department agency
    office military army command spokespeople representative representatives source sources
    statement report poll survey study author authors critics critic supporters supporter voters
    voter residents democrats republicans mayor judge justice executive ceo founder member members
    press manager strategist strategists economist economists researcher researchers scientist
    professor former senior top deputy foreign defense defence state white house national general's
    opposition party administration chief's president's kremlin pentagon"""
    )
)
CONNECTORS = frozenset(_words("of for at 's ’s and the"))
FEMALE_MARKERS = frozenset(
    _words(
        """mrs ms miss madam lady queen she her hillary clinton's melania ivanka kellyanne sarah nancy
    elizabeth carly michelle hope katrina kayleigh huma jennifer maria anna olga"""
    )
)
# Capitalised words that start a sentence or clause without being part of a name.
NON_NAME_CAPS = frozenset(
    _words(
        """but and however still yet meanwhile later then now so also earlier instead asked when if while
    though although as in on at after before since because nevertheless moreover indeed thus last
    this that these those there here it its in a an the on for with by from speaking writing
    according"""
    )
)
ADVERBS = frozenset(
    _words(
        """also later has had have was were is would will could then again once never often previously
    repeatedly publicly privately reportedly recently earlier first last further quickly already
    just even still since itself himself herself themselves"""
    )
)
TITLES = frozenset(_words("mr mrs ms dr sen rep gov gen col lt st jr sr prof pres"))

OPEN_MARKS = '"“'
CLOSE_MARKS = '"”'
WORD = re.compile(r"[A-Za-z][\w'’.-]*|\d[\w,.]*")


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower().rstrip(".")


def tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Word tokens of text[start:end] with absolute offsets (trailing dots kept only after titles)."""
    out = []
    for match in WORD.finditer(text, start, len(text) if end is None else end):
        word, stop = match.group(), match.end()
        while word.endswith((".", ",")) and word.lower().rstrip(".") not in TITLES and len(word) > 2:
            word, stop = word[:-1], stop - 1
        out.append(Token(word, match.start(), stop))
    return out


# A sentence ends at . ! ? (optionally followed by closing quotes or brackets) and white space, unless
# the dot closes an abbreviation or an initial; a line break always ends a sentence.
_SENT_END = re.compile(r"[.!?][\"”’)]*\s+|\n+")
_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Gen|Col|Lt|St|Jr|Sr|Prof|No|U\.S|U\.K|Inc|Corp|Co|vs|[A-Z])\.)$"
)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of text, end exclusive and without trailing space."""
    spans, start = [], 0
    for match in _SENT_END.finditer(text):
        if "\n" not in match.group() and _ABBREV.search(text, max(0, match.start() - 6), match.start() + 1):
            continue
        end = match.end() - (len(match.group()) - len(match.group().rstrip()))
        if text[start:end].strip():
            spans.append((start, end))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def has_break(text: str, start: int, end: int) -> bool:
    """True when text[start:end] ends a sentence or opens another quote (abbreviation dots do not)."""
    for match in re.finditer(r"[.!?\n\"“”]", text[start:end]):
        pos = start + match.start()
        if match.group() != ".":
            return True
        if _ABBREV.search(text, max(0, pos - 6), pos + 1) or text[pos + 1 : pos + 2] in (")", ","):
            continue
        return True
    return False


def quote_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the text inside double quotes, joining quotes that run over several paragraphs.

    A quote left open at a paragraph break continues when the next paragraph opens with a quote mark
    (the newspaper convention); otherwise it is closed at the end of its paragraph.
    """
    spans: list[tuple[int, int]] = []
    open_at: int | None = None
    for match in re.finditer(r"[\"“”]|\n", text):
        char, pos = match.group(), match.start()
        if open_at is None:
            if char in OPEN_MARKS:
                open_at = pos
            continue
        if char == "\n":
            rest = text[pos:].lstrip()
            if rest[:1] in OPEN_MARKS and rest[:1]:
                continue  # the next paragraph's opening mark continues this quote
            spans.append((open_at + 1, pos))
            open_at = None
            continue
        paragraph_start = text[:pos].rstrip(" \t").endswith("\n")
        if paragraph_start and "\n" in text[open_at:pos]:
            continue  # continuation mark of a multi-paragraph quote
        if char == "“":
            open_at = pos  # an unclosed curly quote: start again here
            continue
        spans.append((open_at + 1, pos))
        open_at = None
    if open_at is not None:
        spans.append((open_at + 1, len(text)))
    trimmed = []
    for start, end in spans:
        inner = text[start:end]
        left = len(inner) - len(inner.lstrip())
        right = len(inner.rstrip())
        if right > left:
            trimmed.append((start + left, start + right))
    return trimmed


def is_name_token(token: Token) -> bool:
    word = token.text
    participle = len(word) > 5 and word.endswith(("ing", "ed"))  # "Reached by POLITICO", "Speaking to"
    return (word[:1].isupper() or word[:1].isdigit()) and token.lower not in NON_NAME_CAPS and not participle


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
        j >= 0 and text[toks[j].end : toks[j + 1].start].strip(" .") == ")"
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
        if not phrase and tok.lower in PRONOUNS:
            return [tok]
        if is_speaker_token(tok) or (phrase and tok.lower in CONNECTORS):
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
        if any(is_speaker_token(t) for t in phrase) or phrase[:1] and phrase[0].lower in DESCRIBERS
        else []
    )


FUNCTION_WORDS = frozenset(
    _words(
        """to in as of on for with at by from that which who about into over under after before during than
    then and or but not no so if when while because also more most very just only last next this
    these those there here it is was are were be been being has have had do does did will would can
    could may might should must"""
    )
)
DESCRIBERS = frozenset(_words("the a an one another his her their its"))


def _described(text: str, toks: list[Token], j: int) -> list[Token]:
    """ "the billionaire business mogul [said]": a determiner and up to three lower-case words."""
    for d in range(j, max(-1, j - 4), -1):
        words = toks[d : j + 1]
        if any(text[a.end : b.start].strip(" ") for a, b in zip(words, words[1:], strict=False)):
            return []
        if toks[d].lower in DESCRIBERS and d < j:
            body = words[1:]
            banned = CUE_FORMS | ADVERBS | FUNCTION_WORDS
            if all(t.text.isalpha() and t.text.islower() and t.lower not in banned for t in body):
                return words
            return []
    return []


def speaker_after(text: str, toks: list[Token], i: int) -> list[Token]:
    """The speaker phrase that starts at toks[i] ("said [the minister]", "said [pollster Frank Luntz]")."""
    phrase: list[Token] = []
    for j in range(i, len(toks)):
        tok = toks[j]
        if phrase and text[phrase[-1].end : tok.start].strip(" "):
            break
        if not phrase and tok.lower in PRONOUNS - {"it", "who"}:
            return [tok]
        ahead = toks[j + 1 : j + 3]
        descriptor = tok.text[:1].islower() and any(is_name_token(t) for t in ahead) and len(phrase) < 3
        if is_speaker_token(tok) or tok.lower in CONNECTORS or (not phrase and tok.lower in DETERMINERS):
            phrase.append(tok)
        elif descriptor and tok.text.isalpha() and tok.lower not in CUE_FORMS | ADVERBS | FUNCTION_WORDS:
            phrase.append(tok)  # "pollster Frank Luntz", "Texas delegate Bill Eastland"
        else:
            break
    phrase = trim_phrase(phrase)
    return phrase if any(is_speaker_token(t) for t in phrase) else []


def is_cue(tok: Token, toks: list[Token], k: int, forms: frozenset[str] = CUE_FORMS) -> bool:
    """A reporting verb: lower case ("States" is no cue) and not used as a noun or adjective ("the claimed")."""
    if tok.lower == "according":
        return k + 1 < len(toks) and toks[k + 1].lower == "to"
    after_determiner = k > 0 and toks[k - 1].lower in DETERMINERS
    return tok.text[:1].islower() and tok.lower in forms and not after_determiner


def cue_span(toks: list[Token], k: int) -> tuple[int, int]:
    last = k + 1 if toks[k].lower == "according" else k
    return toks[k].start, toks[last].end


def sentence_subject(text: str, toks: list[Token]) -> list[Token]:
    """A name or role phrase opening the sentence ("Russian Chief of General Staff Valery Gerasimov")."""
    for i in range(min(len(toks), 3)):
        if toks[i].lower in PRONOUNS - {"it", "who", "you"}:
            return [toks[i]]
        phrase = speaker_after(text, toks, i)
        if phrase:
            return phrase
        if toks[i].lower not in NON_NAME_CAPS:
            break
    return []
