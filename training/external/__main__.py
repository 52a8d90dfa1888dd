"""`python -m training.external check`: fail when STANCE_EXTERNAL_DIR is set but its corpora are missing."""

from __future__ import annotations

import os
import sys

from training.external import ENV_VAR, USED, check


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["check"]:
        print("usage: python -m training.external check", file=sys.stderr)
        return 2
    if not os.environ.get(ENV_VAR):
        print(f"{ENV_VAR} is not set: the external-corpus tests will skip (pytest -rs lists them)")
        return 0
    problems = check()
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    if problems:
        print(
            f"{ENV_VAR} is set but {len(problems)} of its corpora are missing: fix the path, or set {ENV_VAR}= "
            "(empty) to run without them",
            file=sys.stderr,
        )
        return 1
    print(f"{ENV_VAR}={os.environ[ENV_VAR]}: {', '.join(USED)} found")
    return 0


if __name__ == "__main__":
    sys.exit(main())
