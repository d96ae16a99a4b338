"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancekit.labels import load_labels
from stancekit.models import BaselineClassifier
from stancekit.training import fit_claims, label_rows

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """A baseline trained on the shipped labels (seconds), saved like `train` saves it."""
    folder = tmp_path_factory.mktemp("model") / "baseline"
    claims = load_labels(ROOT / "labels" / "claims.jsonl")
    fit_claims(BaselineClassifier(), claims, label_rows(claims)).save_pretrained(folder)
    return folder
