"""CI cannot stay green on a broken setup: a set but missing STANCE_EXTERNAL_DIR fails `.ci/run`."""

from __future__ import annotations

import tomllib
from pathlib import Path

from training.external import USED
from training.external.__main__ import main

REPO = Path(__file__).parents[1]


def test_missing_corpora_fail_the_check(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STANCE_EXTERNAL_DIR", str(tmp_path / "nowhere"))
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert all(f"nowhere/{corpus} does not exist" in err for corpus in USED)
    for corpus in USED[:-1]:
        (tmp_path / "nowhere" / corpus).mkdir(parents=True)
        (tmp_path / "nowhere" / corpus / "README").write_text("x")
    (tmp_path / "nowhere" / USED[-1]).mkdir()
    assert main(["check"]) == 1
    assert f"{USED[-1]} is empty" in capsys.readouterr().err
    (tmp_path / "nowhere" / USED[-1] / "data.tsv").write_text("x")
    assert main(["check"]) == 0


def test_unset_is_not_an_error(monkeypatch, capsys):
    monkeypatch.delenv("STANCE_EXTERNAL_DIR", raising=False)
    assert main(["check"]) == 0
    assert "will skip" in capsys.readouterr().out


def test_ci_script_runs_the_check_before_the_tests():
    script = (REPO / ".ci" / "run").read_text()
    assert script.index("training.external check") < script.index("make test")
    assert "make test-ci" in script


def test_pytest_reports_skip_reasons():
    addopts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    assert "-rs" in addopts.split()
