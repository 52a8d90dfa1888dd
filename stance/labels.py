"""The taxonomy as data: stance labels, rhetoric techniques, and the PTC name mapping."""

from __future__ import annotations

TAXONOMY_VERSION = "1.0"

STANCES: tuple[str, ...] = (
    "triumphal",
    "dismissive",
    "accusatory",
    "threatening",
    "defiant",
    "conciliatory",
    "supportive",
    "conceding",
    "neutral",
)

STANCE_DEFINITIONS: dict[str, str] = {
    "triumphal": "proclaims victory or success, or the opponent's failure or defeat",
    "dismissive": "rejects or belittles a claim, report or accusation as false, propaganda, absurd "
    "or not worth answering",
    "accusatory": "blames or condemns someone for wrongdoing without mainly rebutting a specific claim",
    "threatening": "threatens or warns of harm, retaliation or dire consequences; ultimatums and alarm",
    "defiant": "vows to persist, resist or not yield; refuses terms or pressure",
    "conciliatory": "offers or supports dialogue, ceasefire, compromise, de-escalation or cooperation",
    "supportive": "praises, honours, thanks, endorses or stands in solidarity with a person, group, "
    "ally or policy",
    "conceding": "acknowledges one's own difficulty, loss, setback, mistake or uncertainty",
    "neutral": "factual, procedural or informational, with no evaluative posture",
}

# Our technique ids, in a fixed order, paired with the label names PTC (SemEval-2020 Task 11) uses.
_TECHNIQUE_PTC: tuple[tuple[str, str], ...] = (
    ("loaded_language", "Loaded_Language"),
    ("name_calling", "Name_Calling,Labeling"),
    ("repetition", "Repetition"),
    ("exaggeration_minimisation", "Exaggeration,Minimisation"),
    ("doubt", "Doubt"),
    ("appeal_to_fear", "Appeal_to_fear-prejudice"),
    ("flag_waving", "Flag-Waving"),
    ("causal_oversimplification", "Causal_Oversimplification"),
    ("slogans", "Slogans"),
    ("appeal_to_authority", "Appeal_to_Authority"),
    ("black_and_white", "Black-and-White_Fallacy"),
    ("thought_terminating_cliche", "Thought-terminating_Cliches"),
    ("whataboutism_strawman_red_herring", "Whataboutism,Straw_Men,Red_Herring"),
    ("bandwagon_reductio_ad_hitlerum", "Bandwagon,Reductio_ad_hitlerum"),
)

TECHNIQUES: tuple[str, ...] = tuple(t for t, _ in _TECHNIQUE_PTC)
TECHNIQUE_TO_PTC: dict[str, str] = dict(_TECHNIQUE_PTC)
PTC_TO_TECHNIQUE: dict[str, str] = {p: t for t, p in _TECHNIQUE_PTC}

STANCE_ID2LABEL: dict[int, str] = dict(enumerate(STANCES))
STANCE_LABEL2ID: dict[str, int] = {s: i for i, s in enumerate(STANCES)}
TECHNIQUE_ID2LABEL: dict[int, str] = dict(enumerate(TECHNIQUES))
TECHNIQUE_LABEL2ID: dict[str, int] = {t: i for i, t in enumerate(TECHNIQUES)}


def technique_from_ptc(name: str) -> str:
    """Map a PTC label name to our technique id.

    >>> technique_from_ptc("Name_Calling,Labeling")
    'name_calling'
    """
    try:
        return PTC_TO_TECHNIQUE[name]
    except KeyError:
        raise ValueError(
            f"unknown PTC technique {name!r}; expected one of {sorted(PTC_TO_TECHNIQUE)}"
        ) from None


def technique_to_ptc(technique: str) -> str:
    """Map our technique id to the PTC label name."""
    try:
        return TECHNIQUE_TO_PTC[technique]
    except KeyError:
        raise ValueError(f"unknown technique {technique!r}; expected one of {list(TECHNIQUES)}") from None
