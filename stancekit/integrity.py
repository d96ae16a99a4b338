"""Integrity of a model folder: file digests, no custom code, a card that agrees with the weights.

A model is data, never code. At save time `folder_digests` records the sha256 of every file
of the folder in model.json (`files_sha256`); at load time `check_folder` verifies them,
refuses a folder that asks transformers to run custom code, checks that the weights are a
readable safetensors file and that the card's labels and settings agree with config.json.
Every refusal is one `ModelError` line naming the file (and the field) at fault.

What the digests do and do not give: they catch a weights file changed, damaged or added after
saving; whoever can rewrite every file can also rewrite model.json, so a model received from
someone else is only as trustworthy as the sha256 of its model.json, compared out of band.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import reprlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from stancekit.errors import ModelError

CARD_FILE = "model.json"
CONFIG_FILE = "config.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"
WEIGHTS_FILE = "model.safetensors"
# Keys by which a transformers config asks to import Python code (models/auto/*_auto.py,
# pipelines/__init__.py); found at any depth, since a nested encoder config is loaded too.
REMOTE_CODE_KEYS: frozenset[str] = frozenset({"auto_map", "custom_pipelines"})
# JSON files that are data of the tokenizers library, not transformers configs.
NOT_CONFIGS: frozenset[str] = frozenset({"tokenizer.json", CARD_FILE})
MIN_MAX_LENGTH = 8  # room for the special tokens of a text pair and a few tokens of each


def _int(value: Any, low: int | None) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and (low is None or value >= low)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _ngram_range(value: Any) -> bool:
    return (isinstance(value, list | tuple) and len(value) == 2
            and all(_int(v, 1) for v in value) and value[0] <= value[1])


def _labels(value: Any, allow_empty: bool) -> bool:
    return (isinstance(value, list) and (allow_empty or bool(value))
            and all(isinstance(v, str) and v for v in value) and len(set(value)) == len(value))


# Settings that prediction or retraining reads, with the rule each value must keep.
SETTING_RULES: dict[str, tuple[str, Any]] = {
    "max_length": (f"an integer of at least {MIN_MAX_LENGTH}", lambda v: _int(v, MIN_MAX_LENGTH)),
    "batch_size": ("a positive integer", lambda v: _int(v, 1)),
    "epochs": ("a positive integer or null (sized by the data)",
               lambda v: v is None or _int(v, 1)),
    "folds": ("a positive integer", lambda v: _int(v, 1)),
    "frozen_layers": ("an integer of at least 0", lambda v: _int(v, 0)),
    "seed": ("an integer", lambda v: _int(v, None)),
    "lr": ("a positive number", lambda v: _number(v) and v > 0),
    "head_lr": ("a positive number", lambda v: _number(v) and v > 0),
    "C": ("a positive number", lambda v: _number(v) and v > 0),
    "word_ngrams": ("a pair [low, high] with 1 <= low <= high", _ngram_range),
    "char_ngrams": ("a pair [low, high] with 1 <= low <= high", _ngram_range),
}


class Card(Protocol):
    """The fields of a model card (`stancekit.models.ModelCard`) that the checks read."""

    method: str
    stances: list[str]
    sentiments: list[str]
    targets: list[str]
    default_target: str
    masked_speakers: bool
    settings: dict[str, Any]
    files_sha256: dict[str, str]


def _regular_file(path: Path) -> Path:
    """`path`, if it is a regular file (not a pipe, device or dangling link), else ModelError."""
    if not path.is_file():
        state = "missing" if not os.path.lexists(path) else "not a regular file"
        raise ModelError(f"{path}: {state}")
    return path


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file's bytes; an unreadable file is a ModelError naming it."""
    try:
        digest = hashlib.sha256()
        with open(_regular_file(Path(path)), "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError as err:
        raise ModelError(f"{path}: unreadable ({err.strerror or err})") from None


def _model_files(folder: Path) -> Iterator[str]:
    """Relative POSIX paths of the folder's files, model.json and hidden entries left out."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            relative = (Path(root) / name).relative_to(folder).as_posix()
            if not name.startswith(".") and relative != CARD_FILE:
                yield relative


def folder_digests(folder: str | Path) -> dict[str, str]:
    """sha256 of every file of a model folder except model.json, by relative path."""
    folder = Path(folder)
    return {name: sha256_of(folder / name) for name in _model_files(folder)}


def verify_folder(folder: str | Path, card: Card) -> None:
    """Refuse a folder whose files differ from the digests recorded in its card.

    A file changed, missing or added since the model was saved is named in the error.
    """
    folder = Path(folder)
    recorded = card.files_sha256
    if not recorded:
        raise ModelError(
            f"{folder / CARD_FILE}: records no file digests (files_sha256); re-save the model "
            "to record them, or load it unverified (verify=False, --no-verify)"
        )
    present = set(_model_files(folder))
    missing, added = sorted(recorded.keys() - present), sorted(present - recorded.keys())
    if missing:
        raise ModelError(f"{folder / missing[0]}: missing (model.json records it)")
    if added:
        raise ModelError(f"{folder / added[0]}: not part of the saved model (model.json does "
                         "not record it); remove it, or load unverified (--no-verify)")
    for name in sorted(present):
        if sha256_of(folder / name) != recorded[name]:
            raise ModelError(f"{folder / name}: sha256 differs from the one model.json records "
                             "(changed since the model was saved); load unverified "
                             "(--no-verify) only if you changed it yourself")


def _keys(value: Any) -> Iterator[str]:
    """Every dictionary key in a parsed JSON value, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def read_json(path: Path) -> Any:
    """A JSON file's contents; an unreadable file is a ModelError naming it."""
    try:
        return json.loads(_regular_file(path).read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"{path}: unreadable JSON ({err})") from None


def refuse_remote_code(folder: str | Path) -> None:
    """Refuse a folder that holds Python code or whose configs ask transformers to import any.

    transformers imports code named by an `auto_map` (config.json, tokenizer_config.json and
    the processor configs) or by `custom_pipelines`; stancekit models never need either.
    """
    folder = Path(folder)
    for name in _model_files(folder):
        path = folder / name
        if path.suffix in (".py", ".pyc", ".so") or "custom_generate" in path.parts:
            raise ModelError(f"{path}: a model folder must hold no code; refusing to load it")
        if path.suffix == ".json" and path.name not in NOT_CONFIGS:
            markers = REMOTE_CODE_KEYS.intersection(_keys(read_json(path)))
            if markers:
                raise ModelError(f"{path}: asks to run custom code ({', '.join(sorted(markers))}); "
                                 "stancekit never runs code from a model folder")


def tokenizer_class(folder: str | Path) -> type:
    """The transformers tokenizer class that the folder's tokenizer_config.json names.

    Only a class of transformers itself is accepted, so loading the tokenizer never imports
    code from elsewhere (AutoTokenizer would follow an `auto_map`).
    """
    import transformers

    path = Path(folder) / TOKENIZER_CONFIG_FILE
    config = read_json(path)
    name = config.get("tokenizer_class") if isinstance(config, dict) else None
    found = getattr(transformers, name, None) if isinstance(name, str) else None
    if not (isinstance(found, type) and issubclass(found, transformers.PreTrainedTokenizerBase)
            and found.__module__.startswith("transformers.")):
        raise ModelError(f"{path}: tokenizer_class must name a tokenizer of transformers, "
                         f"not {name!r}")
    return found


def check_safetensors(path: str | Path) -> None:
    """Refuse a weights file that is not a readable safetensors file (header and tensor sizes)."""
    from safetensors import safe_open

    _regular_file(Path(path))
    try:
        with safe_open(str(path), framework="numpy") as weights:
            list(weights.keys())
    except Exception as err:  # safetensors raises SafetensorError, OSError and others
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ModelError(f"{path}: not a readable safetensors file ({reason})") from None


def check_loading_info(info: Mapping[str, Any], path: str | Path) -> None:
    """Refuse weights that do not fill the network exactly.

    `info` is what transformers' `from_pretrained(..., output_loading_info=True)` reports;
    transformers would otherwise start a missing tensor (a head's bias) from scratch, silently.
    """
    problems = (
        ("missing_keys", "lacks"),
        ("mismatched_keys", "has the wrong shape for"),
        ("unexpected_keys", "has unknown tensors"),
        ("error_msgs", "failed to load"),
    )
    for key, what in problems:
        names = sorted(str(k[0] if isinstance(k, tuple) else k) for k in info.get(key) or ())
        if names:
            more = f" and {len(names) - 3} more" if len(names) > 3 else ""
            raise ModelError(f"{path}: weights do not fit the model ({what} "
                             f"{', '.join(names[:3])}{more})")


def _placeholder_labels(id2label: Mapping[Any, Any]) -> bool:
    """True for transformers' default id2label ({0: "LABEL_0", ...}), which names nothing."""
    return all(str(v) == f"LABEL_{k}" for k, v in id2label.items())


def check_label_order(card: Card, config: Mapping[str, Any], folder: str | Path) -> None:
    """Refuse a fine-tuned model whose card lists its labels otherwise than its config.json.

    The heads' outputs follow config.json (`stance_labels`, `sentiment_labels`, and `id2label`
    when it names labels rather than transformers' placeholders); the card must agree in order.
    """
    expected = {
        "stance_labels": (card.stances, config.get("stance_labels")),
        "sentiment_labels": (card.sentiments, config.get("sentiment_labels")),
    }
    id2label = config.get("id2label") or {}
    if isinstance(id2label, dict) and not _placeholder_labels(id2label):
        try:
            named = [id2label[k] for k in sorted(id2label, key=int)]
        except ValueError:
            named = None
        expected["id2label"] = (card.stances, named)
    for field, (ours, theirs) in expected.items():
        if not isinstance(theirs, list) or theirs != list(ours):
            raise ModelError(
                f"{Path(folder) / CARD_FILE}: labels {ours} disagree with {field} {theirs} in "
                f"{CONFIG_FILE}; refusing a model whose label order is uncertain"
            )


def check_label_sets(card: Card, stance: Any, sentiment: Any, path: str | Path) -> None:
    """Refuse a model whose card names other labels than the `classes_` of its fitted stance
    and sentiment classifiers (None for none), saved in `path`."""
    for field, ours, classifier in (
        ("stances", card.stances, stance),
        ("sentiments", card.sentiments, sentiment),
    ):
        theirs = sorted(str(c) for c in getattr(classifier, "classes_", []))
        if sorted(ours) != theirs:
            raise ModelError(f"{Path(path).with_name(CARD_FILE)}: {field} {ours} disagree with "
                             f"the classes {theirs} in {Path(path).name}")


def card_settings(card: Card) -> dict[str, Any]:
    """The card's settings with a trainer's nested `settings` object merged in."""
    nested = card.settings.get("settings")
    return {**card.settings, **nested} if isinstance(nested, dict) else dict(card.settings)


def check_max_length(card: Card, config: Mapping[str, Any], folder: str | Path) -> None:
    """Refuse a `max_length` longer than the encoder's position embeddings."""
    encoder = config.get("encoder")
    limit = encoder.get("max_position_embeddings") if isinstance(encoder, dict) else None
    max_length = card_settings(card).get("max_length")
    if isinstance(limit, int) and isinstance(max_length, int) and max_length > limit:
        raise ModelError(f"{Path(folder) / CARD_FILE}: settings.max_length must be at most the "
                         f"encoder's {limit} positions ({CONFIG_FILE}), not {max_length}")


def validate_card(card: Card, path: str | Path) -> None:
    """Refuse a card whose label lists, targets, digests or settings are malformed.

    Settings are checked by `SETTING_RULES`; settings it does not know are left alone.
    """
    problems = [
        ("stances", "a non-empty list of distinct label names", _labels(card.stances, False)),
        ("sentiments", "a list of distinct label names", _labels(card.sentiments, True)),
        ("targets", "a non-empty list of distinct targets", _labels(card.targets, False)),
        ("default_target", "one of the targets",
         isinstance(card.targets, list) and card.default_target in card.targets),
        ("masked_speakers", "true or false", isinstance(card.masked_speakers, bool)),
        ("files_sha256", "an object of file name to sha256",
         isinstance(card.files_sha256, dict) and all(
             isinstance(k, str) and isinstance(v, str) and len(v) == 64
             for k, v in card.files_sha256.items())),
        ("settings", "an object", isinstance(card.settings, dict)),
    ]
    for field, rule, ok in problems:
        if not ok:
            value = reprlib.repr(getattr(card, field))
            raise ModelError(f"{path}: {field} must be {rule}, not {value}")
    for name, value in card_settings(card).items():
        rule, valid = SETTING_RULES.get(name, ("", lambda v: True))
        if not valid(value):
            raise ModelError(f"{path}: settings.{name} must be {rule}, not {reprlib.repr(value)}")


def check_folder(folder: str | Path, card: Card, verify: bool = True) -> None:
    """Every check a model folder passes before its weights are read.

    Digests first (unless `verify` is False), then regular files only and no custom code;
    for a fine-tuned model also readable safetensors weights, and labels and `max_length`
    that agree with config.json.
    """
    folder = Path(folder)
    if verify:
        verify_folder(folder, card)
    for name in _model_files(folder):  # a pipe would hang whatever reads it
        _regular_file(folder / name)
    refuse_remote_code(folder)
    if card.method == "finetuned":
        check_safetensors(folder / WEIGHTS_FILE)
        config = read_json(folder / CONFIG_FILE)
        if not isinstance(config, dict):
            raise ModelError(f"{folder / CONFIG_FILE}: not a model config (a JSON object)")
        check_label_order(card, config, folder)
        check_max_length(card, config, folder)
