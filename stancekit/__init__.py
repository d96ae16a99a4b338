"""stancekit: stance and sentiment of speakers' claims in news articles."""

from __future__ import annotations

__version__ = "0.1.0"

from stancekit.errors import InputError, LabelError, ModelError, StancekitError
from stancekit.models import load
from stancekit.records import (
    Article,
    Claim,
    LabeledClaim,
    Prediction,
    ScoredClaim,
    SpeakerPosition,
)
from stancekit.scoring import score

__all__ = [
    "Article",
    "Claim",
    "InputError",
    "LabelError",
    "LabeledClaim",
    "ModelError",
    "Prediction",
    "ScoredClaim",
    "SpeakerPosition",
    "StancekitError",
    "__version__",
    "load",
    "score",
]
