"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from stancekit.baseline import BaselineModel
from stancekit.labels import load_labels

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    """A baseline trained on the shipped labels (seconds), saved like `train` saves it."""
    folder = tmp_path_factory.mktemp("model") / "baseline"
    BaselineModel.fit(load_labels(ROOT / "labels" / "claims.jsonl")).save_pretrained(folder)
    return folder
