"""A model's card: `model.json` (what it predicts, how it was trained, how well) and the
Hugging Face `README.md` written beside it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancekit.errors import ModelError
from stancekit.integrity import CARD_FILE, folder_digests, validate_card
from stancekit.records import DEFAULT_TARGET
from stancekit.version import __version__

README_FILE = "README.md"
METHODS: tuple[str, ...] = ("baseline", "finetuned")


@dataclass
class ModelCard:
    """The contents of model.json: what a model predicts, what it was trained on, how well."""

    method: str
    stances: list[str]
    sentiments: list[str]
    targets: list[str]
    default_target: str
    masked_speakers: bool = False
    context: bool = False
    base_model: str | None = None
    base_model_sha256: str | None = None
    labels_sha256: dict[str, str] = field(default_factory=dict)
    n_labels: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    calibration: dict[str, float] = field(default_factory=dict)
    cv: dict[str, Any] = field(default_factory=dict)
    fit_seconds: float | None = None
    stancekit_version: str = __version__
    date: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat())
    files_sha256: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def finite(value: Any) -> Any:
    """`value` with NaN and infinite floats made None, so model.json is strict JSON."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_card(folder: str | Path, card: ModelCard) -> Path:
    """Write `card` as folder/model.json and its Hugging Face README.md; return model.json.

    Call it last, once every other file of the model is written: model.json records the
    sha256 of each (see `stancekit.integrity`).
    """
    path = Path(folder) / CARD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    (path.parent / README_FILE).write_text(readme(card), "utf-8")
    card.files_sha256 = folder_digests(folder)
    text = json.dumps(finite(card.to_dict()), indent=2, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", "utf-8")
    return path


def read_card(folder: str | Path) -> ModelCard:
    """Read folder/model.json; a missing folder or a bad card raises ModelError."""
    folder = Path(folder)
    path = folder / CARD_FILE
    if not folder.is_dir():
        raise ModelError(f"{folder}: no such model folder (train one with `stancekit train`)")
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{folder}: not a stancekit model ({CARD_FILE} is missing)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"{path}: unreadable model card ({err})") from None
    names = {f.name for f in dataclasses.fields(ModelCard)}
    if not isinstance(data, dict) or data.get("method") not in METHODS:
        raise ModelError(f"{path}: not a stancekit model card (method must be one of {METHODS})")
    try:
        card = ModelCard(**{k: v for k, v in data.items() if k in names})
    except TypeError as err:
        raise ModelError(f"{path}: incomplete model card ({err})") from None
    validate_card(card, path)
    return card


def ordered_labels(values: Sequence[str | None], known: Sequence[str]) -> list[str]:
    """The distinct non-empty labels in `values`: known ones in `known` order, others sorted."""
    seen = {v for v in values if v}
    return [k for k in known if k in seen] + sorted(seen - set(known))


def default_target(targets: Sequence[str]) -> str:
    """The project's default target if trained on, else the most frequent one."""
    counts = {t: targets.count(t) for t in dict.fromkeys(targets)}
    return DEFAULT_TARGET if DEFAULT_TARGET in counts else max(counts, key=counts.__getitem__)


def _figure(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) and math.isfinite(value) else "n/a"


def readme(card: ModelCard) -> str:
    """The model card in Hugging Face's format: YAML metadata, then what, how and how well."""
    base = f"base_model: {card.base_model}\n" if card.base_model else ""
    library = "transformers" if card.method == "finetuned" else "sklearn"
    lines = [
        "---",
        f"library_name: {library}",
        "language: en",
        "license: mit",
        "pipeline_tag: text-classification",
        f"{base}tags: [stancekit, stance-detection, sentiment-analysis]",
        "---",
        "",
        f"# stancekit {card.method} model",
        "",
        "## Intended use",
        "",
        "Stance (favor, against, none) toward a policy target and sentiment of claims quoted "
        "in English news, read with their target"
        + (" and context (previous sentence and headline)" if card.context else "")
        + ". Load with `stancekit.load(folder)`; not for decisions about individuals.",
        "",
        "## Training data",
        "",
        f"{card.n_labels} labeled claims; targets: {', '.join(card.targets)}; stances: "
        f"{', '.join(card.stances)}; sentiments: {', '.join(card.sentiments) or 'none'}.",
        "Label files (sha256): "
        + (", ".join(f"`{p}` {h[:12]}" for p, h in card.labels_sha256.items()) or "not recorded")
        + ".",
        "",
        "## Cross-validation",
        "",
        "| run | stance macro-F1 | stance F_avg | sentiment macro-F1 |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, result in card.cv.items():
        pooled = result.get("pooled", {})
        cells = (pooled.get(k) for k in ("stance_macro_f1", "stance_f_avg", "sentiment_macro_f1"))
        lines.append(f"| {name} (pooled out-of-fold) | " + " | ".join(map(_figure, cells)) + " |")
    lines += [
        "",
        "Figures on a development set of unseen articles are in the project's "
        "`benchmarks/RESULTS.md`.",
        "",
        "## Limitations",
        "",
        "Trained on few labels, partly written for training rather than taken from real "
        "articles; expect lower figures on other outlets, periods and targets. A target the "
        "model was not trained on gets predictions that carry little meaning.",
        "",
        f"Settings: `{json.dumps(finite(card.settings), sort_keys=True)}`; "
        f"stancekit {card.stancekit_version}.",
        "",
    ]
    return "\n".join(lines)
