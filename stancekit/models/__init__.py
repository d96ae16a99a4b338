"""The classifiers: a TF-IDF baseline and a fine-tuned transformer, both scikit-learn
estimators over claim rows that save and load the Hugging Face way.

- `card`: model.json and the Hugging Face README.md
- `inputs`: the rows a model reads (claim, target, speaker, context) and speaker masking
- `base`: the estimator contract both share, predictions, calibration
- `baseline`, `finetuned`: the two models; `finetune`: the trainer and its settings
- `load`: a model folder, whichever method trained it

The fine-tuned names import torch, so they load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from stancekit.models.base import ClaimClassifier
from stancekit.models.baseline import BaselineClassifier
from stancekit.models.card import ModelCard, read_card
from stancekit.models.inputs import ClaimInput, claim_context
from stancekit.models.load import load

_TORCH_NAMES = {
    "FineTunedClassifier": "stancekit.models.finetuned",
    "FineTuneSettings": "stancekit.models.finetune",
}

__all__ = [
    "BaselineClassifier",
    "ClaimClassifier",
    "ClaimInput",
    "FineTuneSettings",
    "FineTunedClassifier",
    "ModelCard",
    "claim_context",
    "classifier",
    "load",
    "read_card",
]


def __getattr__(name: str) -> Any:
    if name in _TORCH_NAMES:
        return getattr(importlib.import_module(_TORCH_NAMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def classifier(method: str, **params: Any) -> ClaimClassifier:
    """A new, unfitted classifier of `method` ("baseline" or "finetuned")."""
    if method == "baseline":
        return BaselineClassifier(**params)
    if method == "finetuned":
        from stancekit.models.finetuned import FineTunedClassifier

        return FineTunedClassifier(**params)
    raise ValueError(f"unknown method {method!r} (baseline or finetuned)")
