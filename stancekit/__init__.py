"""stancekit: stance and sentiment of speakers' claims in news articles."""

from __future__ import annotations

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
from stancekit.version import __version__

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
