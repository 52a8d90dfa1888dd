"""Run configs: YAML plus overrides; unknown keys and bad values are errors that name them."""

from pathlib import Path

import pytest

from training.config import TrainConfig, load_config, parse_overrides

CONFIGS = Path(__file__).parents[1] / "configs"


@pytest.mark.parametrize("name", ["default", "baseline", "tiny", "accurate"])
def test_shipped_configs_load(name):
    assert load_config(CONFIGS / f"{name}.yaml").name == name


def test_overrides():
    over = parse_overrides(["--epochs", "2", "--lr=5e-5", "--sources", "corpus,ptc"])
    config = load_config(CONFIGS / "tiny.yaml", over)
    assert (config.epochs, config.lr, config.sources) == (2, 5e-5, ["corpus", "ptc"])


def test_unknown_key_is_named(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text("epochs: 1\nlearning_rate: 0.1\n")
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['learning_rate'\]"):
        load_config(path)
    with pytest.raises(ValueError, match="unknown option --colour"):
        parse_overrides(["--colour", "red"])


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"epochs": "three"}, TypeError, "epochs: expected"),
        ({"epochs": 0}, ValueError, "epochs: must be >= 1"),
        ({"sources": ["corpus", "web"]}, ValueError, r"sources: \['web'\]"),
        ({"model": "gpt"}, ValueError, "model: 'gpt' is not one of"),
        ({"tracking": "wandb"}, ValueError, "tracking: 'wandb'"),
    ],
)
def test_bad_values_are_named(kwargs, error, message):
    with pytest.raises(error, match=message):
        TrainConfig(**kwargs)
