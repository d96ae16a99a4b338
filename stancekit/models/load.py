"""`load`: the model in a folder, whichever method trained it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from stancekit.models.baseline import BaselineClassifier
from stancekit.models.card import read_card

if TYPE_CHECKING:
    from stancekit.models.finetuned import FineTunedClassifier


def load(
    path: str | Path, quantize: bool = False, verify: bool = True
) -> BaselineClassifier | FineTunedClassifier:
    """Load the model in folder `path`, whichever method trained it.

    `quantize` gives a fine-tuned model int8 dynamic quantization (faster on CPU); it does
    not apply to the baseline. torch is imported only for a fine-tuned model. `verify` False
    skips the file digests (for weights changed on purpose); the other integrity checks
    always run (see `stancekit.integrity`).
    """
    method = read_card(path).method
    if method == "baseline":
        return BaselineClassifier.from_pretrained(path, verify=verify)
    from stancekit.models.finetuned import FineTunedClassifier

    return FineTunedClassifier.from_pretrained(path, quantize=quantize, verify=verify)
