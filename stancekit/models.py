"""What every stancekit model shares: its card (model.json), speaker masking, and `load`.

A model folder holds `model.json` (a `ModelCard`) and the method's own files. `load`
reads the card and hands the folder to the method named in it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stancekit import __version__
from stancekit.errors import ModelError
from stancekit.integrity import CARD_FILE, folder_digests, validate_card
from stancekit.records import (
    DEFAULT_TARGET,
    NARRATOR,
    SENTIMENTS,
    STANCES,
    LabeledClaim,
    Prediction,
    split_speakers,
)

if TYPE_CHECKING:
    import numpy as np

    from stancekit.baseline import BaselineModel
    from stancekit.finetuned import FineTunedModel

SPEAKER_PLACEHOLDER = "[SPEAKER]"
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
    base_model: str | None = None
    base_model_sha256: str | None = None
    labels_sha256: dict[str, str] = field(default_factory=dict)
    n_labels: int = 0
    settings: dict[str, Any] = field(default_factory=dict)
    cv: dict[str, Any] = field(default_factory=dict)
    fit_seconds: float | None = None
    stancekit_version: str = __version__
    date: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).isoformat())
    files_sha256: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def write_card(folder: str | Path, card: ModelCard) -> Path:
    """Write `card` as folder/model.json, with the digests of the folder's files, and return
    its path; call it last, once every other file of the model is written."""
    path = Path(folder) / CARD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    card.files_sha256 = folder_digests(folder)
    text = json.dumps(_finite(card.to_dict()), indent=2, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", "utf-8")
    return path


def _finite(value: Any) -> Any:
    """`value` with NaN and infinite floats made None, so model.json is strict JSON."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


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


def load(
    path: str | Path, quantize: bool = False, verify: bool = True
) -> BaselineModel | FineTunedModel:
    """Load the model in folder `path`, whichever method trained it.

    `quantize` gives a fine-tuned model int8 dynamic quantization (faster on CPU); it does
    not apply to the baseline. `verify` False skips the file digests (for weights changed on
    purpose); the other integrity checks always run (see `stancekit.integrity`).
    """
    method = read_card(path).method
    if method == "baseline":
        from stancekit.baseline import BaselineModel

        return BaselineModel.from_pretrained(path, verify=verify)
    from stancekit.finetuned import FineTunedModel

    return FineTunedModel.from_pretrained(path, quantize=quantize, verify=verify)


@functools.cache
def free_cores() -> int:
    """Threads worth running: the cores this process may use that others leave free.

    Judged once, from the load average when first asked. OpenMP threads that outnumber
    the free cores wait on each other: on a busy 2-core machine, two threads ran a
    fine-tuning step four times slower than one, and a baseline fit twelve times slower.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores or 1, round((cores or 1) - busy)))


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ordered_labels(values: Sequence[str | None], known: Sequence[str]) -> list[str]:
    """The distinct non-empty labels in `values`: known ones in `known` order, others sorted."""
    seen = {v for v in values if v}
    return [k for k in known if k in seen] + sorted(seen - set(known))


def card_for(method: str, claims: Sequence[LabeledClaim], masked: bool, **extra: Any) -> ModelCard:
    """A card for a model trained on `claims` (label sets and targets in a stable order)."""
    targets = [c.target for c in claims]
    target_set = ordered_labels(targets, [DEFAULT_TARGET])
    counts = {t: targets.count(t) for t in target_set}
    default = DEFAULT_TARGET if DEFAULT_TARGET in counts else max(counts, key=counts.__getitem__)
    return ModelCard(
        method=method,
        stances=ordered_labels([c.stance for c in claims], STANCES),
        sentiments=ordered_labels([c.sentiment for c in claims], SENTIMENTS),
        targets=target_set,
        default_target=default,
        masked_speakers=masked,
        n_labels=len(claims),
        **extra,
    )


def training_texts(claims: Sequence[LabeledClaim], masked: bool) -> list[str]:
    """The claims' texts, with each claim's own speaker masked if `masked`."""
    texts = [c.text for c in claims]
    return mask_speakers(texts, [c.speaker for c in claims]) if masked else texts


def prediction_inputs(
    card: ModelCard,
    texts: Sequence[str],
    target: str | Sequence[str] | None,
    speakers: Sequence[str | None] | None,
) -> tuple[list[str], list[str]]:
    """The texts a model reads (speakers masked if it was trained so) and one target each.

    `target` None means the model's default target; a string applies to every text.
    """
    texts = list(texts)
    if target is None or isinstance(target, str):
        targets = [target or card.default_target] * len(texts)
    else:
        targets = [t or card.default_target for t in target]
        if len(targets) != len(texts):
            raise ValueError(f"got {len(targets)} targets for {len(texts)} texts")
    return (mask_speakers(texts, speakers) if card.masked_speakers else texts), targets


def to_predictions(
    stances: Sequence[str],
    stance_probs: np.ndarray,
    sentiments: Sequence[str] = (),
    sentiment_probs: np.ndarray | None = None,
) -> list[Prediction]:
    """Predictions from rows of probabilities whose columns follow the label lists."""
    stance = [stances[i] for i in stance_probs.argmax(axis=1).tolist()]
    stance_dicts = [dict(zip(stances, row, strict=True)) for row in stance_probs.tolist()]
    if sentiment_probs is None:
        return [Prediction(s, p) for s, p in zip(stance, stance_dicts, strict=True)]
    sentiment = [sentiments[i] for i in sentiment_probs.argmax(axis=1).tolist()]
    sentiment_dicts = [dict(zip(sentiments, row, strict=True)) for row in sentiment_probs.tolist()]
    return list(map(Prediction, stance, stance_dicts, sentiment, sentiment_dicts))


# Words that make a name part generic (place, body, role) rather than a person's own name.
_NOT_PERSONAL = frozenset(
    """north south east west korea korean korea's united states america american u.s. us uk un
    china chinese japan japanese russia republic people's democratic national ministry
    department office house white blue party government foreign defense defence unification
    security council nations command forces army military officials official analysts experts
    president minister secretary spokesperson agency news the of and for""".split()
)


def _name_patterns(speaker: str) -> list[str]:
    names: set[str] = set()
    for name in split_speakers(speaker):
        if name == NARRATOR or name.startswith("author:"):
            continue
        names.add(name)
        parts = name.split()
        if len(parts) > 1 and not any(p.lower() in _NOT_PERSONAL for p in parts):
            names.update(p for p in parts if len(p) > 1)
    return sorted(names, key=len, reverse=True)


def mask_speaker(text: str, speaker: str | None) -> str:
    """Replace mentions of the claim's own speaker in `text` by SPEAKER_PLACEHOLDER.

    Masks the full name and, for personal names, each name part ("Moon Jae-in" masks
    "Moon Jae-in", "Moon" and "Jae-in"); each name of a joint "A; B" speaker counts.
    Collective speakers ("North Korea", "U.S. officials") are masked only as a whole.
    """
    patterns = _name_patterns(speaker or "")
    if not patterns:
        return text
    alternation = "|".join(re.escape(p) for p in patterns)
    return re.sub(rf"(?<!\w)(?:{alternation})(?!\w)", SPEAKER_PLACEHOLDER, text)


def mask_speakers(texts: Sequence[str], speakers: Sequence[str | None] | None) -> list[str]:
    """`mask_speaker` over parallel lists; with no speakers the texts come back unchanged."""
    if speakers is None:
        return list(texts)
    if len(speakers) != len(texts):
        raise ValueError(f"got {len(speakers)} speakers for {len(texts)} texts")
    return [mask_speaker(t, s) for t, s in zip(texts, speakers, strict=True)]
