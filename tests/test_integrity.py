"""Model integrity (issue 17): file digests, no code from a model folder, labels and settings
checked on load, each refusal one ModelError line. The last section holds the audit's
tampering cases as a hostile-model corpus."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import builtins  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import skops.io as sio  # noqa: E402
from test_baseline import make_claims  # noqa: E402
from test_finetuned import TEXTS, tiny_base  # noqa: E402, F401
from test_finetuned import fit as fit_finetuned  # noqa: E402

from stancekit import ModelError, load  # noqa: E402
from stancekit.cli import main  # noqa: E402
from stancekit.integrity import folder_digests, sha256_of  # noqa: E402
from stancekit.models.baseline import SKOPS_FILE, TRUSTED_TYPES  # noqa: E402
from stancekit.models.finetuned import FineTunedClassifier  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = (
    "Officials met in Seoul on Monday to discuss the proposal.\n\n"
    '"We support the declaration because it brings peace closer," the minister said.\n'
)


@pytest.fixture(scope="module")
def saved_finetuned(tiny_base: str, tmp_path_factory) -> Path:  # noqa: F811
    """A tiny fine-tuned model saved the usual way (seconds)."""
    folder = tmp_path_factory.mktemp("finetuned") / "model"
    fit_finetuned(make_claims(), base_model=tiny_base).save_pretrained(folder)
    return folder


@pytest.fixture
def finetuned(saved_finetuned: Path, tmp_path: Path) -> Path:
    """A fresh copy of the tiny fine-tuned model, free to tamper with."""
    return Path(shutil.copytree(saved_finetuned, tmp_path / "finetuned"))


@pytest.fixture
def baseline(model_dir: Path, tmp_path: Path) -> Path:
    """A fresh copy of a baseline saved as `train` saves it, free to tamper with."""
    return Path(shutil.copytree(model_dir, tmp_path / "baseline"))


def refusal(folder: Path, **options: Any) -> str:
    """The ModelError that loading `folder` raises, checked to be one line."""
    with pytest.raises(ModelError) as info:
        load(folder, **options)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def edit_card(folder: Path, **changes: Any) -> None:
    card = json.loads((folder / "model.json").read_text())
    for key, value in changes.items():
        if key.startswith("settings."):  # a trainer's settings sit in settings.settings
            settings = card["settings"].get("settings", card["settings"])
            settings[key.removeprefix("settings.")] = value
        elif value is None:
            card.pop(key)
        else:
            card[key] = value
    (folder / "model.json").write_text(json.dumps(card))


def edit_json(path: Path, **changes: Any) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def set_float(path: Path, tensor: str, index: int, value: float) -> None:
    """Overwrite the four bytes of one float32 of a safetensors file in place."""
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + size])
    assert header[tensor]["dtype"] == "F32"
    start = 8 + size + header[tensor]["data_offsets"][0] + 4 * index
    data[start : start + 4] = np.float32(value).astype("<f4").tobytes()
    path.write_bytes(bytes(data))


def resave_skops(folder: Path) -> None:
    """Rewrite baseline.skops with the same model but other bytes (stored, not deflated)."""
    parts = sio.load(folder / SKOPS_FILE, trusted=list(TRUSTED_TYPES))
    sio.dump(parts, folder / SKOPS_FILE, compression=zipfile.ZIP_STORED)


# Digests recorded at save time, verified on load


def test_saving_records_the_sha256_of_every_file(saved_finetuned: Path) -> None:
    card = json.loads((saved_finetuned / "model.json").read_text())
    files = {p.name for p in saved_finetuned.iterdir()} - {"model.json"}
    assert {"model.safetensors", "config.json", "tokenizer.json"} <= files
    assert card["files_sha256"] == {name: sha256_of(saved_finetuned / name) for name in files}
    assert isinstance(load(saved_finetuned), FineTunedClassifier)


def test_a_saved_baseline_carries_its_digests_and_loads_verified(model_dir: Path) -> None:
    card = json.loads((model_dir / "model.json").read_text())
    assert card["files_sha256"] == folder_digests(model_dir) != {}
    assert load(model_dir).predict(["We support the declaration."])[0].stance == "favor"


def test_a_changed_file_is_named_and_no_verify_loads_it(baseline: Path, model_dir: Path) -> None:
    resave_skops(baseline)
    assert "baseline.skops: sha256 differs" in refusal(baseline)
    assert load(baseline, verify=False).predict(["We support it."]) == load(model_dir).predict(
        ["We support it."]
    )


def test_a_missing_or_added_file_is_named(finetuned: Path) -> None:
    (finetuned / "notes.txt").write_text("added later")
    assert "notes.txt: not part of the saved model" in refusal(finetuned)
    (finetuned / "notes.txt").unlink()
    (finetuned / "tokenizer.json").unlink()
    assert "tokenizer.json: missing" in refusal(finetuned)


def test_a_card_without_digests_is_refused_unless_unverified(baseline: Path) -> None:
    edit_card(baseline, files_sha256=None)
    assert "records no file digests" in refusal(baseline)
    assert load(baseline, verify=False).card.files_sha256 == {}


def test_resaving_the_card_records_the_digests_again(baseline: Path) -> None:
    """How a user who changed weights on purpose makes the folder verify again."""
    from stancekit.models.card import read_card, write_card

    resave_skops(baseline)
    write_card(baseline, read_card(baseline))
    assert load(baseline).card.files_sha256[SKOPS_FILE] == sha256_of(baseline / SKOPS_FILE)


def test_score_and_evaluate_take_no_verify(baseline: Path, tmp_path: Path, capsys) -> None:
    resave_skops(baseline)
    article = tmp_path / "article.txt"
    article.write_text(ARTICLE)
    score = ["score", str(article), "--model", str(baseline), "--quiet"]
    assert main([*score, "--out", str(tmp_path / "a")]) == 1
    assert "baseline.skops: sha256 differs" in capsys.readouterr().err
    assert main([*score, "--out", str(tmp_path / "b"), "--no-verify"]) == 0
    evaluate = ["evaluate", "--model", str(baseline), "--cv", "no", "--json"]
    assert main(evaluate) == 1
    assert "baseline.skops: sha256 differs" in capsys.readouterr().err
    assert main([*evaluate, "--no-verify"]) == 0


# Card settings and labels


@pytest.mark.parametrize(("field", "value"), [
    ("settings.C", 0),
    ("settings.char_ngrams", [5, 2]),
    ("settings.folds", "five"),
    ("stances", ["favor", "favor", "none"]),
    ("stances", []),
    ("default_target", "carbon tax"),
    ("masked_speakers", "no"),
    ("files_sha256", {"baseline.skops": "abc"}),
])
def test_invalid_card_fields_are_refused_by_name(baseline: Path, field: str, value: Any) -> None:
    edit_card(baseline, **{field: value})
    assert f"model.json: {field} must be" in refusal(baseline, verify=False)


@pytest.mark.parametrize("value", [-5, 0, 3, "128", 12.5, True, None])
def test_invalid_max_length_is_refused(finetuned: Path, value: Any) -> None:
    edit_card(finetuned, **{"settings.max_length": value})
    assert "model.json: settings.max_length must be" in refusal(finetuned)


def test_trainer_settings_sized_by_the_data_load(finetuned: Path) -> None:
    """`epochs` null (the default: sized by the data) is a valid trainer setting."""
    edit_card(finetuned, **{"settings.epochs": None})
    assert load(finetuned, verify=False).card.settings["settings"]["epochs"] is None
    edit_card(finetuned, **{"settings.epochs": 0})
    assert "settings.epochs must be a positive integer or null" in refusal(finetuned)


def test_max_length_beyond_the_encoders_positions_is_refused(finetuned: Path) -> None:
    edit_card(finetuned, **{"settings.max_length": 100_000})
    assert "settings.max_length must be at most the encoder's 512 positions" in refusal(finetuned)


def test_labels_named_by_id2label_must_follow_the_card(finetuned: Path) -> None:
    """A config that names its labels (id2label) is held to the card's order too."""
    edit_json(finetuned / "config.json", id2label={"0": "against", "1": "favor", "2": "none"})
    assert "disagree with id2label" in refusal(finetuned, verify=False)
    edit_json(finetuned / "config.json", id2label={"0": "favor", "1": "against", "2": "none"})
    assert isinstance(load(finetuned, verify=False), FineTunedClassifier)


# Hostile models: the audit's tampering cases, each refused with one line


def test_hostile_flipped_head_bias(finetuned: Path) -> None:
    """Eight bytes (a float of each of the stance head's biases: relevance and side) flip
    every prediction; the digest sees it."""
    honest = load(finetuned).predict(TEXTS)
    stances = load(finetuned).card.stances
    forced = next(s for s in stances if s not in (honest[0].stance, "none"))
    weights = finetuned / "model.safetensors"
    set_float(weights, "stance_head.relevance.bias", 0, 50.0)
    set_float(weights, "stance_head.side.bias", [s for s in stances if s != "none"].index(forced),
              50.0)
    assert "model.safetensors: sha256 differs" in refusal(finetuned)
    tampered = load(finetuned, verify=False).predict(TEXTS)
    assert [p.stance for p in tampered] == [forced] * len(TEXTS)


def test_hostile_swapped_labels_in_model_json(finetuned: Path) -> None:
    edit_card(finetuned, stances=["against", "favor", "none"])
    for verify in (True, False):
        message = refusal(finetuned, verify=verify)
        assert "model.json: labels ['against', 'favor', 'none'] disagree with stance_labels" in (
            message
        )


def test_hostile_swapped_labels_in_both_files(finetuned: Path) -> None:
    """Swapped consistently in model.json and config.json: config.json's digest fails."""
    edit_card(finetuned, stances=["against", "favor", "none"])
    edit_json(finetuned / "config.json", stance_labels=["against", "favor", "none"])
    assert "config.json: sha256 differs" in refusal(finetuned)


def test_hostile_renamed_labels_in_a_baseline_card(baseline: Path) -> None:
    edit_card(baseline, stances=["support", "against", "none"])
    assert "disagree with the classes ['against', 'favor', 'none'] in baseline.skops" in refusal(
        baseline
    )


def write_custom_tokenizer(folder: Path, marker: Path) -> None:
    """A tokenizer module that leaves `marker` behind if anything ever imports it."""
    (folder / "evil_tokenizer.py").write_text(
        f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
        "from transformers import BertTokenizer as EvilTokenizer\n"
    )


@pytest.mark.parametrize("where", ["tokenizer_config.json", "config.json", "config.json encoder"])
def test_hostile_auto_map_runs_no_code(finetuned: Path, tmp_path: Path, monkeypatch,
                                       where: str) -> None:
    """Even a user who answers y to transformers' "run the custom code?" runs none.

    Before the fix, the tokenizer_config.json case (an auto_map and a tokenizer_class that
    transformers does not know) prompted, and on y imported the folder's Python file.
    """
    marker = tmp_path / "code-ran"
    write_custom_tokenizer(finetuned, marker)
    auto_map = {"AutoConfig": "evil_tokenizer.EvilTokenizer",
                "AutoTokenizer": ["evil_tokenizer.EvilTokenizer", None],
                "AutoModel": "evil_tokenizer.EvilTokenizer"}
    path = finetuned / where.split()[0]
    config = json.loads(path.read_text())
    (config["encoder"] if where.endswith("encoder") else config)["auto_map"] = auto_map
    if path.name == "tokenizer_config.json":
        config["tokenizer_class"] = "EvilTokenizer"
    path.write_text(json.dumps(config))
    monkeypatch.setattr(builtins, "input", lambda prompt="": "y")
    for options in ({}, {"verify": False}):
        refusal(finetuned, **options)
        assert not marker.exists()
    (finetuned / "evil_tokenizer.py").unlink()
    assert f"{path.name}: asks to run custom code (auto_map)" in refusal(finetuned, verify=False)
    assert not marker.exists()


def test_hostile_tokenizer_class_outside_transformers(finetuned: Path) -> None:
    edit_json(finetuned / "tokenizer_config.json", tokenizer_class="EvilTokenizer")
    assert "tokenizer_class must name a tokenizer of transformers, not 'EvilTokenizer'" in (
        refusal(finetuned, verify=False)
    )


def test_hostile_python_file_in_the_folder(finetuned: Path, tmp_path: Path) -> None:
    write_custom_tokenizer(finetuned, tmp_path / "code-ran")
    assert "evil_tokenizer.py: a model folder must hold no code" in refusal(
        finetuned, verify=False
    )


@pytest.mark.parametrize("damage", ["text", "truncated", "huge header", "zip", "empty"])
def test_hostile_corrupt_safetensors(finetuned: Path, model_dir: Path, damage: str) -> None:
    weights = finetuned / "model.safetensors"
    good = weights.read_bytes()
    weights.write_bytes({
        "text": b"this is not a safetensors file\n",
        "truncated": good[: len(good) // 2],
        "huge header": (1 << 62).to_bytes(8, "little") + good[8:],
        "zip": (model_dir / SKOPS_FILE).read_bytes(),
        "empty": b"",
    }[damage])
    assert "model.safetensors: sha256 differs" in refusal(finetuned)
    assert "model.safetensors: not a readable safetensors file" in refusal(finetuned, verify=False)


def test_hostile_max_length_minus_five(finetuned: Path) -> None:
    edit_card(finetuned, **{"settings.max_length": -5})
    for verify in (True, False):
        assert "model.json: settings.max_length must be an integer of at least 8, not -5" in (
            refusal(finetuned, verify=verify)
        )


@pytest.mark.parametrize("change", ["missing", "wrong shape", "unknown"])
def test_hostile_weights_that_do_not_fit(finetuned: Path, change: str) -> None:
    """A valid safetensors file with a tensor missing, misshapen or added: refused, where
    transformers would start a missing head bias from zeros without a word."""
    from safetensors.torch import load_file, save_file

    weights = finetuned / "model.safetensors"
    tensors = load_file(weights)
    bias = tensors.pop("stance_head.side.bias")
    if change == "wrong shape":
        tensors["stance_head.side.bias"] = bias[:1].clone()
    elif change == "unknown":
        tensors["stance_head.side.bias"], tensors["extra.weight"] = bias, bias.clone()
    save_file(tensors, weights, metadata={"format": "pt"})
    assert "model.safetensors: sha256 differs" in refusal(finetuned)
    assert "model.safetensors: weights do not fit the model" in refusal(finetuned, verify=False)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
@pytest.mark.parametrize("name", ["special_tokens.json", "tokenizer.json"])
def test_hostile_named_pipe_does_not_hang_loading(finetuned: Path, name: str) -> None:
    (finetuned / name).unlink(missing_ok=True)
    os.mkfifo(finetuned / name)
    assert f"{name}: " in refusal(finetuned)
    assert f"{name}: not a regular file" in refusal(finetuned, verify=False)
