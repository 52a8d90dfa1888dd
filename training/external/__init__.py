"""Readers for the external corpora in STANCE_EXTERNAL_DIR (research use only; never committed)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "STANCE_EXTERNAL_DIR"
# The corpora that training, the evaluations and the tests read (SemEval-2016 and TweetEval are not read).
USED = ("polnear", "semeval2020-task11-ptc", "liar")


class ExternalDataMissing(RuntimeError):
    """Raised when STANCE_EXTERNAL_DIR is unset or lacks the corpus asked for."""


def external_dir(corpus: str | None = None) -> Path:
    """Return the external-corpora directory (or one corpus folder in it).

    >>> external_dir("polnear")  # doctest: +SKIP
    PosixPath('/work/shared/external/polnear')
    """
    value = os.environ.get(ENV_VAR)
    if not value:
        raise ExternalDataMissing(
            f"{ENV_VAR} is not set: point it at the folder holding the external corpora "
            f"(e.g. export {ENV_VAR}=../shared/external)"
        )
    root = Path(value).expanduser().resolve()
    path = root / corpus if corpus else root
    if not path.is_dir():
        raise ExternalDataMissing(f"{path} does not exist: {ENV_VAR}={value} has no {corpus or ''} folder")
    return path


def available(corpus: str) -> bool:
    """True when the corpus folder can be found."""
    try:
        external_dir(corpus)
    except ExternalDataMissing:
        return False
    return True


def check(corpora: tuple[str, ...] = USED) -> list[str]:
    """What is wrong with STANCE_EXTERNAL_DIR: one line per missing or empty corpus folder ([] when all are
    there). Unset means "run without them" and is not a problem; set and missing is (CI would skip silently).
    """
    value = os.environ.get(ENV_VAR)
    if not value:
        return []
    problems = []
    for corpus in corpora:
        try:
            path = external_dir(corpus)
        except ExternalDataMissing as e:
            problems.append(str(e))
            continue
        if not any(path.iterdir()):
            problems.append(f"{path} is empty: {ENV_VAR}={value} has no {corpus} files")
    return problems
