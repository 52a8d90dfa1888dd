"""Lexicons (reporting verbs, pronouns, role and name words), the word tokenizer and the cue test of stance.quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property


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
    clarify answer bark remember chant echo snap exclaim gush scoff sigh sneer laugh chuckle plead opine
    speculate assure threaten vent fume rail marvel confess repeat"""
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
    "snap": ("snap", "snaps", "snapped", "snapping"),
    "vent": ("vent", "vents", "vented", "venting"),
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


# Forms far more often nouns than reporting verbs ("a failed state", "at one point").
_NOUN_FORMS = frozenset(_words("state point points post"))
SPEECH_FORMS = frozenset(form for lemma in _SPEECH for form in _forms(lemma)) - _NOUN_FORMS
EVALUATIVE_FORMS = frozenset(form for lemma in _EVALUATIVE for form in _forms(lemma))
CUE_FORMS = SPEECH_FORMS | EVALUATIVE_FORMS
# Lemmas that take a clause without "that" ("Trump said he would win"), and verbs of the told-class whose
# object is the listener, not the speaker.
BARE_CLAUSE_FORMS = frozenset(_forms("say") + _forms("tell") + _forms("add") + _forms("insist"))
# Verbs that may come before their speaker: '"…," said Mr Smith'.
INVERSION_FORMS = frozenset(
    form
    for lemma in _words(
        "say add ask write continue explain note recall reply respond tell state tweet post declare agree opine "
        "muse remember report"
    )
    for form in _forms(lemma)[:3]
) | {"read", "reads"}
# What a sign, letter or headline "says": a cue only right beside a quote ('"…," it read', 'The sign reads:').
SIGN_FORMS = frozenset(_words("read reads reading"))
# Auxiliaries after "said X": X is the subject of the reported clause ("said the senator can …"), not the
# speaker.
AUXILIARIES = frozenset(
    _words("is are was were will would can could should must may might has have had does did")
)
QUANTIFIERS = frozenset(_words("one another some many several two three"))
LISTENER_FORMS = frozenset(_forms("tell") + _forms("ask") + _forms("urge") + _forms("warn"))

PRONOUNS = frozenset(_words("he she they i we it you who"))
RELATIVES = frozenset(_words("who which"))  # "the Associated Press report, which notes" -> the report
PERSONAL_PRONOUNS = frozenset(_words("he she"))
DETERMINERS = frozenset(_words("the a an his her their its our my your this that these those"))
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
    opposition party administration chief's president's kremlin pentagon doctor physician"""
    )
)
CONNECTORS = frozenset(_words("of for at 's ’s and the"))
# Titles and first names that tell a speaker's gender, for resolving "he" and "she".
FEMALE_MARKERS = frozenset(
    _words(
        """mrs ms miss madam lady queen congresswoman spokeswoman chairwoman businesswoman hillary clinton
    melania ivanka kellyanne sarah nancy elizabeth carly michelle hope katrina kayleigh huma jennifer
    maria anna olga susan karen mary patricia linda barbara margaret lisa donna dianne diane debbie
    deborah amy kelly kate katie laura julia julie rachel rebecca emily hannah jessica ashley stephanie
    nicole heather megan amanda christine christina angela theresa teresa ruth loretta condoleezza
    samantha valerie madeleine janet jill joni kirsten tammy claire marsha cheryl jeanne nikki
    kamala sheila donna ann anne jane joan judith carol sandra sharon cynthia helen catherine kathleen
    marine ursula jacinda irina yulia natalia svetlana marie sophie"""
    )
)
MALE_MARKERS = frozenset(
    _words(
        """mr sir king congressman spokesman chairman businessman donald trump's barack bill bernie ted
    marco jeb john james robert michael william david richard joseph joe thomas charles christopher
    daniel matthew mark paul steven steve kevin brian george edward ronald timothy jason jeffrey ryan
    jacob gary eric stephen larry frank scott justin brandon benjamin samuel gregory patrick jack dennis
    jerry tyler aaron henry peter adam nathan harold walter kyle carl arthur roger keith jeremy lawrence
    sean christian albert joe mitch rand chris mike newt rudy reince corey jared eric vladimir sergei
    dmitry volodymyr emmanuel boris rex jim tim tom ben sam dan bob andrew anthony tony lindsey rick"""
    )
)
# Capitalised words that start a sentence or clause without being part of a name.
NON_NAME_CAPS = frozenset(
    _words(
        """but and however still yet meanwhile later then now so also earlier instead asked when if while
    though although as in on at after before since because nevertheless moreover indeed thus last
    this that these those there here it its in a an the on for with by from speaking writing
    according once"""
    )
)
ADVERBS = frozenset(
    _words(
        """also later has had have was were is would will could then again once never often previously
    repeatedly publicly privately reportedly recently earlier first last further quickly already
    just even still since itself himself herself themselves"""
    )
)
# Words opening an introductory phrase that ends at a comma before the subject ("In a statement, X said").
INTRO_WORDS = frozenset(
    _words(
        """in on at after before during since following like unlike despite with without while when
    speaking appearing asked reached writing responding addressing from for by under amid earlier later
    last this next meanwhile however instead yesterday today then also once"""
    )
)
# Function words a speaker description may contain ("a person close to the Clintons").
PHRASE_LINKS = frozenset(_words("of for at in from to with and on by 's ’s"))
# Capitalised words of dates and times: "Friday", "September 27", "Tuesday morning" never speak.
TIME_WORDS = frozenset(
    _words(
        """monday tuesday wednesday thursday friday saturday sunday january february march april june july
    august september october november december jan feb mar apr jun jul aug sep sept oct nov dec today
    tonight yesterday tomorrow morning afternoon evening night week weekend month year time day moment
    point"""
    )
)
TITLES = frozenset(_words("mr mrs ms dr sen rep gov gen col lt st jr sr prof pres"))

FUNCTION_WORDS = frozenset(
    _words(
        """to in as of on for with at by from that which who about into over under after before during than
    then and or but not no so if when while because also more most very just only last next this
    these those there here it is was are were be been being has have had do does did will would can
    could may might should must"""
    )
)
DESCRIBERS = frozenset(_words("the a an one another his her their its"))


WORD = re.compile(r"[A-Za-z][\w'’.-]*|\d[\w,.]*")


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @cached_property
    def lower(self) -> str:
        return self.text.lower().rstrip(".")

    @cached_property
    def stem(self) -> str:
        """The word without a clitic: "He’s" -> "he", "Clinton's" -> "clinton"."""
        return re.split(r"['’]", self.lower, maxsplit=1)[0]


def tokens(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    """Word tokens of text[start:end] with absolute offsets (trailing dots kept only after titles)."""
    out = []
    for match in WORD.finditer(text, start, len(text) if end is None else end):
        word, stop = match.group(), match.end()
        while word.endswith((".", ",")) and word.lower().rstrip(".") not in TITLES and len(word) > 2:
            word, stop = word[:-1], stop - 1
        out.append(Token(word, match.start(), stop))
    return out


def is_cue(tok: Token, toks: list[Token], k: int, forms: frozenset[str] = CUE_FORMS) -> bool:
    """A reporting verb: lower case ("States" is no cue) and not used as a noun or adjective ("the claimed")."""
    if tok.lower == "according":
        return k + 1 < len(toks) and toks[k + 1].lower == "to"
    if not tok.text[:1].islower():
        return False
    known = tok.lower in forms or (forms is not EVALUATIVE_FORMS and _phrasal(toks, k))
    noun = k > 0 and toks[k - 1].lower in DETERMINERS and toks[k].start - toks[k - 1].end <= 1
    return known and not noun  # "the claimed", but not "…larger than that, said X'


def cue_span(toks: list[Token], k: int) -> tuple[int, int]:
    two_words = toks[k].lower == "according" or _phrasal(toks, k)
    return toks[k].start, toks[k + 1 if two_words else k].end


# Reporting verbs of two words: '"…," he went on', 'as Cornyn put it:', '"…," Trump shot back'.
PHRASAL_CUES = frozenset(
    (
        "went on",
        "goes on",
        "go on",
        "put it",
        "puts it",
        "shot back",
        "fired back",
        "fires back",
        "shoots back",
    )
)


_PHRASAL_FIRST = frozenset(cue.split()[0] for cue in PHRASAL_CUES)


def _phrasal(toks: list[Token], k: int) -> bool:
    if toks[k].lower not in _PHRASAL_FIRST or k + 1 >= len(toks):
        return False
    return f"{toks[k].lower} {toks[k + 1].lower}" in PHRASAL_CUES
