"""The seed-article check `make train` runs on every model it trains (training/seed_check.py)."""

import json
from pathlib import Path

import training.seed_check as seed_check
from training.seed_check import analyze_misses, predict_misses, seed_misses


def test_the_check_names_each_miss_with_what_the_model_read(tiny_model, monkeypatch):
    """A random tiny model misreads some seed stances; a quote the rules cannot find is reported as missing."""
    quotes = seed_check.SEED_ANALYZE
    monkeypatch.setattr(seed_check, "SEED_ANALYZE", [*quotes, ("Nobody", "words nobody said", "neutral")])
    misses = analyze_misses(str(tiny_model))
    assert "analyze: missing Nobody: 'words nobody said'" in misses
    for miss in misses:
        assert miss.startswith("analyze: ")
        if " read [" in miss:  # a wrong stance names the label it should be and the top three read
            label = miss.split(" is ")[1].split(",")[0]
            assert label in {q[2] for q in quotes}
    assert all(m.startswith("predict: ") for m in predict_misses(str(tiny_model)))


def test_a_model_that_reads_every_seed_right_has_no_misses(tiny_model, monkeypatch, tmp_path):
    """Expect, for each seed, exactly what the model reads: the check then reports nothing."""
    import stance

    model = str(tiny_model)
    text = seed_check.article()
    found = {(q.speaker, q.text.rstrip(",.")): q.prediction.stance for q in stance.analyze(text, model=model)}
    monkeypatch.setattr(
        seed_check, "SEED_ANALYZE", [(s, q, found[(s, q)]) for s, q, _ in seed_check.SEED_ANALYZE]
    )
    seeds = [
        {**s, "stance": stance.predict(s.get("sentence", s["quote"]), model=model).stance}
        for s in seed_check.seeds()
    ]
    (tmp_path / "seeds.json").write_text(json.dumps(seeds))
    monkeypatch.setattr(seed_check, "SEEDS_FILE", tmp_path / "seeds.json")
    assert seed_misses(model) == []


def test_make_train_reports_the_seed_check(tiny_encoder, tmp_path, capsys):
    from training.config import load_config
    from training.train import run

    config = load_config(
        Path(__file__).parents[1] / "configs" / "tiny.yaml",
        {"encoder": str(tiny_encoder), "output_dir": str(tmp_path)},
    )
    result = run(config)
    assert result["seed_article_misses"] == seed_misses(result["model_dir"])
    out = capsys.readouterr().out
    assert ("seed article: every quote" in out) == (not result["seed_article_misses"])
    assert ("golden tests a default must pass" in out) == bool(result["seed_article_misses"])
