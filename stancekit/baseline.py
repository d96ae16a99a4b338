"""The baseline: TF-IDF of word and character n-grams with logistic regression, per task.

Saved with skops (`stance.skops`, `sentiment.skops`) and loaded with an explicit list of
trusted scikit-learn types, so loading a model never runs pickle.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
import skops.io as sio
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from stancekit.errors import ModelError
from stancekit.integrity import check_folder, check_label_sets
from stancekit.models import (
    ModelCard,
    card_for,
    free_cores,
    prediction_inputs,
    read_card,
    to_predictions,
    training_texts,
    write_card,
)
from stancekit.records import LabeledClaim, Prediction

SKOPS_FILE = "baseline.skops"
CHUNK = 256  # texts featurised at a time in predict

# Every type a saved baseline pipeline holds; anything else in a file is refused.
TRUSTED_TYPES: tuple[str, ...] = (
    "stancekit.baseline.CharNgrams",
    "stancekit.baseline.WordNgrams",
    "builtins.dict",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
)

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_PRIME = np.uint64(1_000_003)


class _HashedNgrams(TransformerMixin, BaseEstimator):
    """Counts of the n-grams seen in training, found through a 64-bit hash of each n-gram.

    A fast stand-in for CountVectorizer: n-grams are hashed with numpy over a whole batch,
    and a table maps each hash bucket seen in training to a column (other buckets drop out).
    """

    def __init__(self, ngram_range: tuple[int, int] = (1, 2), bits: int = 21) -> None:
        self.ngram_range = ngram_range
        self.bits = bits

    def _keys(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(row, 64-bit key) of every n-gram occurrence in `docs`."""
        raise NotImplementedError

    def _buckets(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * _GOLDEN) >> np.uint64(64 - self.bits)).astype(np.int64)

    def fit(self, X: Sequence[str], y: object = None) -> _HashedNgrams:
        seen = np.unique(self._buckets(self._keys(X)[1]))
        self.table_ = np.full(1 << self.bits, -1, dtype=np.int32)
        self.table_[seen] = np.arange(len(seen), dtype=np.int32)
        self.n_features_ = len(seen)
        return self

    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        rows, keys = self._keys(X)
        cols = self.table_[self._buckets(keys)]
        keep = cols >= 0
        # Sort (row, column) pairs once: runs of equal pairs are the counts, already in CSR order.
        pairs = np.sort(rows[keep] * self.n_features_ + cols[keep])
        starts = np.flatnonzero(np.diff(pairs, prepend=-1))
        counts = np.diff(starts, append=len(pairs)).astype(np.float32)
        first = pairs[starts]
        indptr = np.searchsorted(first, np.arange(len(X) + 1) * self.n_features_)
        shape = (len(X), self.n_features_)
        return sp.csr_matrix((counts, first % self.n_features_, indptr), shape=shape)


class WordNgrams(_HashedNgrams):
    """Word n-grams of the lowercased text (tokens of two or more word characters)."""

    def _keys(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.ngram_range
        tokens = [_TOKEN.findall(d.lower()) for d in docs]
        lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
        flat = [t for doc in tokens for t in doc]
        ids = np.fromiter(map(zlib.crc32, map(str.encode, flat)), np.uint64, count=len(flat))
        return _ngram_keys(ids, np.repeat(np.arange(len(docs)), lengths), lo, hi)


class CharNgrams(_HashedNgrams):
    """Character n-grams of the lowercased text with runs of white space made one space."""

    def _keys(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.ngram_range
        texts = [" ".join(d.lower().split()) for d in docs]
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
        rows = np.repeat(np.arange(len(docs)), lengths)
        return _ngram_keys(codes.astype(np.uint64), rows, lo, hi)


def _ngram_keys(
    units: np.ndarray, rows: np.ndarray, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray]:
    """Hash keys of the runs of `lo`..`hi` consecutive units that lie within one row."""
    ends = np.flatnonzero(np.diff(rows, append=-1)) + 1  # one past the last unit of each row
    room = np.repeat(ends, np.diff(ends, prepend=0)) - np.arange(len(units))  # units left in row
    all_rows, all_keys = [], []
    keys = units
    for n in range(1, hi + 1):
        if n > 1:
            keys = keys[:-1] * _PRIME + units[n - 1 :]
        if n >= lo:
            inside = room[: len(keys)] >= n
            all_rows.append(rows[: len(keys)][inside])
            all_keys.append(keys[inside] + np.uint64(n))
    return np.concatenate(all_rows), np.concatenate(all_keys)


def make_features(
    word_ngrams: tuple[int, int] = (1, 2), char_ngrams: tuple[int, int] = (2, 5)
) -> FeatureUnion:
    """TF-IDF (sublinear tf, L2 per block) of word n-grams beside character n-grams."""

    def tfidf(counter: _HashedNgrams) -> Pipeline:
        return Pipeline([("count", counter), ("tfidf", TfidfTransformer(sublinear_tf=True))])

    return FeatureUnion(
        [("word", tfidf(WordNgrams(word_ngrams))), ("char", tfidf(CharNgrams(char_ngrams)))]
    )


def tfidf_features(features: FeatureUnion, texts: list[str]) -> sp.csr_matrix:
    """`features.transform(texts)` without scikit-learn's per-call checks: the same numbers,
    several times faster on the small batches that scoring sends."""
    blocks = []
    for _, pipeline in features.transformer_list:
        counts, tfidf = pipeline["count"].transform(texts), pipeline["tfidf"]
        data = counts.data
        if tfidf.sublinear_tf:
            np.log(data, out=data)
            data += 1.0
        data *= tfidf.idf_[counts.indices]
        rows = np.repeat(np.arange(len(texts)), np.diff(counts.indptr))
        norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=len(texts)))
        data /= np.where(norms > 0, norms, 1.0)[rows]
        blocks.append(counts)
    return sp.hstack(blocks, format="csr")


def probabilities(model: LogisticRegression, matrix: sp.csr_matrix) -> np.ndarray:
    """`model.predict_proba(matrix)` without scikit-learn's per-call checks."""
    scores = np.asarray(matrix @ model.coef_.T) + model.intercept_
    if scores.shape[1] == 1:  # two classes: the logistic of one score
        positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1.0 - positive, positive])
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    return scores / scores.sum(axis=1, keepdims=True)


class BaselineClassifier(ClassifierMixin, BaseEstimator):
    """TF-IDF (word + char n-grams) and class-balanced logistic regression for one task.

    `X` is a list of texts, or a sparse matrix made by an already fitted `features_`
    (how BaselineModel shares one featurisation between its tasks).
    """

    def __init__(
        self,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (2, 5),
        C: float = 10.0,
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.C = C

    def fit(self, X: Sequence[str] | sp.spmatrix, y: Sequence[str]) -> BaselineClassifier:
        if not sp.issparse(X):
            self.features_ = make_features(self.word_ngrams, self.char_ngrams)
            X = self.features_.fit_transform(list(X))
        model = LogisticRegression(C=self.C, class_weight="balanced", max_iter=5000)
        return self._set_model(model.fit(X, list(y)))

    def _set_model(self, model: LogisticRegression) -> BaselineClassifier:
        self.model_ = model
        self.classes_ = np.array([str(c) for c in model.classes_], dtype=object)
        return self

    def predict_proba(self, X: Sequence[str] | sp.spmatrix) -> np.ndarray:
        return self.model_.predict_proba(X if sp.issparse(X) else self.features_.transform(list(X)))

    def predict(self, X: Sequence[str] | sp.spmatrix) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class BaselineModel:
    """A stance classifier and, when the labels had sentiment, a sentiment classifier.

    Both share one fitted featurisation. With several targets, the stance classifier also
    sees a copy of the features per target (zero unless the claim is about that target),
    so it learns target-specific weights beside shared ones.
    """

    method = "baseline"

    def __init__(
        self,
        card: ModelCard,
        features: FeatureUnion,
        stance: BaselineClassifier,
        sentiment: BaselineClassifier | None,
    ) -> None:
        self.card = card
        self.features = features
        self.stance = stance
        self.sentiment = sentiment

    @classmethod
    def fit(
        cls, claims: Sequence[LabeledClaim], mask: bool = False, **params: Any
    ) -> BaselineModel:
        """Train on labeled claims; `mask` hides each claim's own speaker's name first."""
        with threadpool_limits(free_cores()):
            return cls._fit(claims, mask, params)

    @classmethod
    def _fit(cls, claims: Sequence[LabeledClaim], mask: bool, params: dict) -> BaselineModel:
        stance = BaselineClassifier(**params)
        card = card_for("baseline", claims, mask, settings=stance.get_params())
        texts = training_texts(claims, mask)
        features = make_features(stance.word_ngrams, stance.char_ngrams)
        matrix = features.fit_transform(texts)
        model = cls(card, features, stance, None)
        stance.features_ = features
        stance.fit(
            model._stance_matrix(matrix, [c.target for c in claims]), [c.stance for c in claims]
        )
        rows = [i for i, c in enumerate(claims) if c.sentiment]
        if rows:
            model.sentiment = BaselineClassifier(**params)
            model.sentiment.features_ = features
            model.sentiment.fit(matrix[rows], [claims[i].sentiment for i in rows])
        return model

    def _stance_matrix(self, matrix: sp.csr_matrix, targets: Sequence[str]) -> sp.csr_matrix:
        if len(self.card.targets) < 2:
            return matrix
        blocks = [matrix]
        for target in self.card.targets:
            on = np.fromiter((t == target for t in targets), dtype=np.float32, count=len(targets))
            blocks.append(sp.diags(on) @ matrix)
        return sp.hstack(blocks, format="csr")

    def predict(
        self,
        texts: Sequence[str],
        target: str | Sequence[str] | None = None,
        speakers: Sequence[str | None] | None = None,
    ) -> list[Prediction]:
        """Stance (toward `target`, default the model's) and sentiment of each text."""
        texts, targets = prediction_inputs(self.card, texts, target, speakers)
        out: list[Prediction] = []
        for start in range(0, len(texts), CHUNK):  # chunks keep the n-gram arrays in cache
            chunk = slice(start, start + CHUNK)
            out.extend(self._predict_chunk(texts[chunk], targets[chunk]))
        return out

    def _predict_chunk(self, texts: list[str], targets: list[str]) -> list[Prediction]:
        """Predictions with probabilities in the card's label order (as the fine-tuned model)."""
        matrix = tfidf_features(self.features, texts)
        stance = probabilities(self.stance.model_, self._stance_matrix(matrix, targets))
        stances = self.card.stances
        stance = stance[:, [list(self.stance.classes_).index(s) for s in stances]]
        if self.sentiment is None:
            return to_predictions(stances, stance)
        sentiment = probabilities(self.sentiment.model_, matrix)
        sentiments = self.card.sentiments
        sentiment = sentiment[:, [list(self.sentiment.classes_).index(s) for s in sentiments]]
        return to_predictions(stances, stance, sentiments, sentiment)

    def save_pretrained(self, folder: str | Path) -> None:
        """Write model.json and the fitted parts as baseline.skops into `folder`."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        parts = {"features": self.features, "stance": self.stance.model_}
        if self.sentiment is not None:
            parts["sentiment"] = self.sentiment.model_
        sio.dump(parts, folder / SKOPS_FILE, compression=zipfile.ZIP_DEFLATED)
        write_card(folder, self.card)

    @classmethod
    def from_pretrained(cls, folder: str | Path, verify: bool = True) -> BaselineModel:
        """Load a model written by `save_pretrained`, trusting only the types it is made of.

        `verify` False skips the file digests (see `stancekit.integrity.check_folder`).
        """
        folder = Path(folder)
        card = read_card(folder)
        check_folder(folder, card, verify)
        path = folder / SKOPS_FILE
        try:
            untrusted = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
            if untrusted:
                raise ModelError(f"{path}: refusing to load untrusted types {sorted(untrusted)}")
            parts = sio.load(path, trusted=list(TRUSTED_TYPES))
            features, heads = parts["features"], (parts["stance"], parts.get("sentiment"))
        except ModelError:
            raise
        except Exception as err:  # skops raises many kinds of errors on a damaged file
            raise ModelError(f"{path}: unreadable baseline model ({err})") from None
        if card.sentiments and heads[1] is None:
            raise ModelError(f"{path}: incomplete baseline model (no sentiment classifier)")
        check_label_sets(card, *heads, path)
        names = BaselineClassifier._get_param_names()
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in card.settings.items()}
        params = {k: v for k, v in params.items() if k in names}
        classifiers = []
        for head in heads:
            clf = None
            if head is not None:
                clf = BaselineClassifier(**params)._set_model(head)
                clf.features_ = features
            classifiers.append(clf)
        return cls(card, features, *classifiers)
