"""Both classifiers follow scikit-learn's estimator contract over text rows.

scikit-learn's own checks run where they apply to text estimators: the checks of
`API_CHECKS` below. The others are skipped because they feed numeric 2-D arrays (random
floats, sparse matrices, NaN/inf, complex numbers, memmaps) to `fit`, which a text
classifier refuses by design, or test features these estimators do not offer
(`sample_weight`, `class_weight`, `partial_fit`, multi-output y, `_parameter_constraints`).
Their contract is checked on text instead, in the tests after the first.
"""

from __future__ import annotations

import os
import pickle

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.utils import estimator_checks  # noqa: E402
from test_baseline import AGAINST, FAVOR, NONE  # noqa: E402

from stancekit.models import BaselineClassifier, ClaimInput, FineTunedClassifier  # noqa: E402
from stancekit.models.finetune import FineTuneSettings  # noqa: E402
from stancekit.records import Prediction  # noqa: E402

API_CHECKS = (
    "check_estimator_cloneable",
    "check_estimator_repr",
    "check_no_attributes_set_in_init",
    "check_parameters_default_constructible",
    "check_get_params_invariance",
    "check_set_params",
    "check_do_not_raise_errors_in_init_or_set_params",
    "check_estimators_unfitted",
    "check_mixin_order",
    "check_valid_tag_types",
    "check_estimator_tags_renamed",
    "check_fit1d",
    "check_requires_y_none",
    "check_classifiers_regression_target",
)
ESTIMATORS = (BaselineClassifier(), FineTunedClassifier())
TEXTS = FAVOR + AGAINST + NONE
STANCE = ["favor"] * 4 + ["against"] * 4 + ["none"] * 4
SENTIMENT = ["positive"] * 4 + ["negative"] * 4 + [None] * 4


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("check", API_CHECKS)
def test_scikit_learn_checks(estimator, check: str) -> None:
    getattr(estimator_checks, check)(type(estimator).__name__, estimator)


def test_the_contract_on_text() -> None:
    """fit returns self and leaves the hyper-parameters as given; NotFittedError before."""
    clf = BaselineClassifier(C=3.0, context=True)
    with pytest.raises(NotFittedError):
        clf.predict(TEXTS)
    params = clf.get_params()
    rows = [ClaimInput(t, "end-of-war declaration", "", "Earlier words. A headline")
            for t in TEXTS]
    assert clf.fit(rows, STANCE, sentiment=SENTIMENT) is clf
    assert clf.get_params() == params
    assert list(clf.classes_) == ["favor", "against", "none"]
    assert list(clf.sentiments_) == ["positive", "negative"]
    probs = clf.predict_proba(rows)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    predictions = clf.predict(rows)
    assert all(isinstance(p, Prediction) for p in predictions)
    assert [p.stance for p in predictions] == list(clf.classes_[probs.argmax(axis=1)])
    # Bare strings, dicts and records are rows too.
    assert clf.predict(TEXTS[:1], contexts=["Earlier words. A headline"]) == predictions[:1]
    assert clf.predict([{"text": TEXTS[0], "context": "Earlier words. A headline"}]) == (
        predictions[:1])
    copy = clone(clf)
    assert copy.get_params() == params and not hasattr(copy, "classes_")
    again = pickle.loads(pickle.dumps(clf))
    assert again.predict(rows) == predictions


def test_fit_is_idempotent_and_refits() -> None:
    clf = BaselineClassifier().fit(TEXTS, STANCE)
    first = clf.predict_proba(TEXTS)
    np.testing.assert_allclose(clf.fit(TEXTS, STANCE).predict_proba(TEXTS), first)
    two = clf.fit(TEXTS[:8], STANCE[:8])
    assert list(two.classes_) == ["favor", "against"]


def test_one_class_is_refused() -> None:
    with pytest.raises(ValueError, match="two stance classes"):
        BaselineClassifier().fit(TEXTS[:4], STANCE[:4])


def test_clone_of_a_fitted_fine_tuned_model_keeps_its_settings() -> None:
    settings = FineTuneSettings(epochs=2, lr=5e-5)
    clf = FineTunedClassifier(settings=settings, context=False)
    copy = clone(clf)
    assert copy.settings == settings and copy.settings is not settings
    assert copy.get_params()["context"] is False
    with pytest.raises(NotFittedError):
        copy.predict(["text"])
