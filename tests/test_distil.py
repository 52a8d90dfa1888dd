"""Knowledge distillation: a teacher's stand-off soft targets, their loss term, and a run that learns from them."""

import json
from pathlib import Path

import pytest
import torch

from stance.labels import STANCES, TECHNIQUES
from training.config import load_config
from training.distil import attach, load_targets, main, text_key
from training.losses import MultiTaskLoss

CONFIGS = Path(__file__).parents[1] / "configs"


def _batch(n: int, teacher: torch.Tensor | None) -> dict[str, torch.Tensor]:
    return {
        "stance": torch.zeros(n, dtype=torch.long),
        "rhetoric": torch.zeros(n, len(TECHNIQUES)),
        "rhetoric_known": torch.zeros(n, dtype=torch.bool),
        "tags": torch.zeros(n, 4, len(TECHNIQUES)),
        "tag_mask": torch.zeros(n, 4),
        "soft_stance": teacher if teacher is not None else torch.zeros(n, len(STANCES)),
        "soft_known": torch.full((n,), teacher is not None),
    }


def _loss(weight: float, distil: str | None = "targets.jsonl") -> MultiTaskLoss:
    config = load_config(CONFIGS / "tiny.yaml", {"distil": distil, "distil_weight": weight})
    return MultiTaskLoss(torch.ones(len(STANCES)), torch.ones(len(TECHNIQUES)), config)


def test_the_soft_target_term_vanishes_at_the_teacher_and_pulls_the_student_toward_it():
    torch.manual_seed(0)
    logits = torch.randn(6, len(STANCES))
    out = {"stance": logits, "rhetoric": torch.zeros(6, len(TECHNIQUES))}
    at_teacher = _loss(1.0)(out, _batch(6, logits.log_softmax(-1)))[1]["distil"]
    assert at_teacher.item() == pytest.approx(0.0, abs=1e-5)
    teacher = torch.randn(6, len(STANCES)).log_softmax(-1)
    student = logits.clone().requires_grad_(True)
    total, parts = _loss(1.0)({"stance": student, "rhetoric": out["rhetoric"]}, _batch(6, teacher))
    assert parts["distil"].item() > 0.01
    total.backward()
    with torch.no_grad():
        moved = student - 0.5 * student.grad
    after = _loss(1.0)({"stance": moved, "rhetoric": out["rhetoric"]}, _batch(6, teacher))[1]["distil"]
    assert after < parts["distil"]
    # weight 0, or no distil file in the config: the stance loss is the cross-entropy alone
    for loss in (_loss(0.0), _loss(0.5, distil=None)):
        total, parts = loss(out, _batch(6, teacher))
        assert total.item() == pytest.approx(parts["stance"].item())
    total, parts = _loss(0.5)(out, _batch(6, teacher))
    assert total.item() == pytest.approx(0.5 * parts["stance"].item() + 0.5 * parts["distil"].item())


def test_targets_are_read_with_errors_that_say_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m training.distil --teacher"):
        load_targets(tmp_path / "missing.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"key": "abc", "stance_logp": [0.0, 1.0]}) + "\n")
    with pytest.raises(ValueError, match=r"bad.jsonl:1: expected key and 9 stance_logp"):
        load_targets(bad)


def test_a_teacher_labels_the_training_pool_and_a_run_learns_from_its_targets(
    tiny_model, tiny_encoder, tmp_path
):
    """`python -m training.distil` writes a target for each training record (no text), `gather` attaches them by
    the hash of the model input, and a run with `distil` set trains and scores; a changed text has no target."""
    from training.sources import gather
    from training.train import run

    out = tmp_path / "targets.jsonl"
    tiny = str(CONFIGS / "tiny.yaml")
    assert main(["--teacher", str(tiny_model), "--config", tiny, "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    about = json.loads(out.with_suffix(".about.json").read_text())
    assert len(rows) == about["records"] == 48 and all(len(r["stance_logp"]) == len(STANCES) for r in rows)
    assert all(sum(torch.tensor(r["stance_logp"]).exp()) == pytest.approx(1.0, abs=0.01) for r in rows)
    assert not any("text" in r for r in rows)
    # an incremental run keeps every target, reads nothing new, and says so beside the first run's numbers
    assert main(["--teacher", str(tiny_model), "--config", tiny, "--out", str(out), "--only-missing"]) == 0
    assert [json.loads(line) for line in out.read_text().splitlines()] == rows
    again = json.loads(out.with_suffix(".about.json").read_text())
    assert again["added"] == 0 and again["records"] == 48 and again["seconds"] == about["seconds"]

    config = load_config(
        CONFIGS / "tiny.yaml",
        {"encoder": str(tiny_encoder), "output_dir": str(tmp_path / "run"), "distil": str(out)},
    )
    splits = gather(config)
    assert splits.distilled == len(splits.train) == 48
    record = {"text": splits.train[0]["text"] + " (edited)"}
    assert attach([record], load_targets(out)) == 0 and "soft_stance" not in record
    assert attach([{"text": splits.train[0]["text"]}], {text_key(splits.train[0]["text"]): [0.0] * 9}) == 1
    result = run(config)
    assert 0.0 <= result["test"]["stance_macro_f1"] <= 1.0 and Path(result["model_dir"]).is_dir()


def test_a_teacher_that_reads_another_input_format_is_refused(tiny_model, tmp_path, capsys):
    code = main(
        [
            "--teacher",
            str(tiny_model),
            "--config",
            str(CONFIGS / "default.yaml"),
            "--out",
            str(tmp_path / "t.jsonl"),
        ]
    )
    assert code == 2 and "their keys would never match" in capsys.readouterr().err


def test_a_teacher_folder_that_is_not_a_model_is_refused(tmp_path, capsys):
    assert main(["--teacher", str(tmp_path), "--out", str(tmp_path / "t.jsonl")]) == 2
    assert "is not a model folder" in capsys.readouterr().err


def test_data_check_refuses_a_teacher_target_for_a_held_out_statement(tmp_path):
    from training.data.validate import _check_distil

    held = {"id": "dev-00007", "text": "The vote is set for Tuesday, the clerk said.", "quote": None}
    (tmp_path / "distil").mkdir()
    path = tmp_path / "distil" / "t.jsonl"
    rows = [{"key": text_key("A training statement."), "stance_logp": [0.0] * 9}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert _check_distil(tmp_path, [held]) == []
    rows.append({"key": text_key(held["text"]), "stance_logp": [0.0] * 9})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert _check_distil(tmp_path, [held]) == ["t.jsonl: a target for held-out corpus dev-00007"]


def _transfer_record(text: str) -> dict:
    return {"id": text, "text": text, "stance": None, "rhetoric": None, "spans": [], "fold": "train"}


def test_transfer_quotes_learn_from_the_teacher_alone(tmp_path, monkeypatch):
    """Unlabelled train-fold quotes (source `transfer`) join an epoch only with a teacher's target, and then
    add the KL term but nothing to the cross-entropy: they have no hard label."""
    from transformers import AutoTokenizer

    import training.sources
    from training.encode import collate, encode
    from training.modeling import base_encoder_path
    from training.sources import gather

    texts = [f"Officials said the bridge would reopen in {m}." for m in ("May", "June", "July", "August")]
    monkeypatch.setattr(
        training.sources, "transfer_records", lambda fmt: [_transfer_record(t) for t in texts]
    )
    targets = tmp_path / "targets.jsonl"
    logp = torch.tensor([0.1] * 8 + [2.0]).log_softmax(-1).tolist()  # the teacher reads them as neutral
    targets.write_text(
        "".join(json.dumps({"key": text_key(t), "stance_logp": logp}) + "\n" for t in texts[:3])
    )
    config = load_config(
        CONFIGS / "tiny.yaml",
        {"sources": ["corpus", "transfer"], "distil": str(targets), "transfer_per_epoch": 2},
    )
    splits = gather(config)
    assert sorted(r["text"] for r in splits.transfer_pool) == sorted(texts[:3])  # the fourth has no target
    assert splits.used["transfer"] == 3
    epoch = [r for r in splits.epoch_train(config, 1) if r["stance"] is None]
    assert len(epoch) == 2 and all(r["text"] in texts[:3] for r in epoch)

    tokenizer = AutoTokenizer.from_pretrained(str(base_encoder_path()), local_files_only=True)
    batch = collate(list(encode(splits.transfer_pool, tokenizer, config.max_length)), tokenizer.pad_token_id)
    assert batch["soft_known"].all() and (batch["stance"] == -100).all() and not batch["rhetoric_known"].any()
    out = {"stance": torch.zeros(3, len(STANCES)), "rhetoric": torch.zeros(3, len(TECHNIQUES))}
    out["spans"] = torch.zeros(*batch["tags"].shape)
    total, parts = _loss(0.5)(out, batch)
    assert parts["stance"].item() == 0.0 and parts["distil"].item() > 0.1
    assert total.item() == pytest.approx(0.5 * parts["distil"].item())


def test_transfer_without_a_teacher_is_refused():
    with pytest.raises(ValueError, match="transfer quotes have no labels.*set distil"):
        load_config(CONFIGS / "tiny.yaml", {"sources": ["corpus", "transfer"], "distil": None})


def test_data_check_refuses_a_labelled_or_held_out_document_in_the_transfer_set(tmp_path):
    from training.data.candidates import fold_of
    from training.data.validate import _check_distil

    docs = {
        f: next(d for d in (f"doc{i}" for i in range(500)) if fold_of("polnear", d) == f)
        for f in ("train", "dev")
    }
    row = {"corpus": "polnear", "split": "train", "start": 0, "end": 5, "rhetoric": None, "pool": "transfer"}
    (tmp_path / "distil").mkdir()
    path = tmp_path / "distil" / "transfer_quotes.jsonl"
    good = {**row, "doc_id": docs["train"], "stance": None}
    path.write_text(json.dumps(good) + "\n")
    assert _check_distil(tmp_path, []) == []
    bad = [{**good, "stance": "neutral"}, {**good, "doc_id": docs["dev"]}]
    path.write_text("".join(json.dumps(r) + "\n" for r in [good, *bad]))
    problems = _check_distil(tmp_path, [])
    assert problems == [
        f"transfer_quotes.jsonl:{n}: the transfer set holds unlabelled train-fold quotes only" for n in (2, 3)
    ]
