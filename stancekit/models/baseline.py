"""The baseline: TF-IDF of word and character n-grams with logistic regression, per task.

Saved with skops (`baseline.skops`) and loaded with an explicit list of
trusted scikit-learn types, so loading a model never runs pickle.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

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
from stancekit.models.base import ClaimClassifier, free_cores
from stancekit.models.card import read_card, write_card
from stancekit.models.inputs import ClaimInput
from stancekit.records import NONE

SKOPS_FILE = "baseline.skops"
CHUNK = 256  # texts featurised at a time in predict

# Every type a saved baseline pipeline holds; anything else in a file is refused.
TRUSTED_TYPES: tuple[str, ...] = (
    "stancekit.models.baseline.CharNgrams",
    "stancekit.models.baseline.DecomposedStanceRegression",
    "stancekit.models.baseline.WordNgrams",
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
    word_ngrams: tuple[int, int] = (1, 2), char_ngrams: tuple[int, int] | None = (2, 5)
) -> FeatureUnion:
    """TF-IDF (sublinear tf, L2 per block) of word n-grams beside character n-grams (none if
    `char_ngrams` is None)."""

    def tfidf(counter: _HashedNgrams) -> Pipeline:
        return Pipeline([("count", counter), ("tfidf", TfidfTransformer(sublinear_tf=True))])

    blocks = [("word", tfidf(WordNgrams(word_ngrams)))]
    if char_ngrams is not None:
        blocks.append(("char", tfidf(CharNgrams(char_ngrams))))
    return FeatureUnion(blocks)


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


def probabilities(
    model: LogisticRegression, matrix: sp.csr_matrix, labels: Sequence[str]
) -> np.ndarray:
    """`model.predict_proba(matrix)` without scikit-learn's per-call checks, its columns in
    the order of `labels` (the model card's), whatever the order of `model.classes_`."""
    columns = [list(model.classes_).index(label) for label in labels]
    if isinstance(model, DecomposedStanceRegression):
        return model.predict_proba(matrix)[:, columns]
    return _class_probabilities(model, matrix)[:, columns]


def _class_probabilities(model: LogisticRegression, matrix: sp.csr_matrix) -> np.ndarray:
    scores = np.asarray(matrix @ model.coef_.T) + model.intercept_
    if scores.shape[1] == 1:  # two classes: the logistic of one score
        positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
        return np.column_stack([1.0 - positive, positive])
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    return scores / scores.sum(axis=1, keepdims=True)


class DecomposedStanceRegression(ClassifierMixin, BaseEstimator):
    """Stance as two class-balanced logistic regressions, like the fine-tuned model's
    decomposed head: does the claim take a side at all (anything but `none_label`), and if
    so which side. p(none) = 1 - p(side taken); p(side) = p(side taken) * p(side | taken)."""

    def __init__(self, C: float = 10.0, none_label: str = NONE) -> None:
        self.C = C
        self.none_label = none_label

    def fit(self, X: sp.csr_matrix, y: Sequence[str],
            sample_weight: np.ndarray | None = None) -> DecomposedStanceRegression:
        y = np.asarray(y, dtype=object)
        weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        self.classes_ = np.unique(y)
        takes_side = y != self.none_label
        self.relevance_ = balanced_regression(self.C).fit(X, takes_side, sample_weight=weights)
        self.side_ = balanced_regression(self.C).fit(X[takes_side], y[takes_side],
                                                     sample_weight=weights[takes_side])
        return self

    def predict_proba(self, X: sp.csr_matrix) -> np.ndarray:
        """Probabilities in the order of `classes_`."""
        relevance = _class_probabilities(self.relevance_, X)
        taken = relevance[:, list(self.relevance_.classes_).index(True)]
        sides = _class_probabilities(self.side_, X) * taken[:, None]
        out = np.zeros((X.shape[0], len(self.classes_)))
        out[:, list(self.classes_).index(self.none_label)] = 1.0 - taken
        for j, side in enumerate(self.side_.classes_):
            out[:, list(self.classes_).index(side)] = sides[:, j]
        return out

    def predict(self, X: sp.csr_matrix) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def balanced_regression(C: float) -> LogisticRegression:
    """The class-balanced logistic regression every baseline classifier is made of."""
    return LogisticRegression(C=C, class_weight="balanced", max_iter=5000)


class BaselineClassifier(ClaimClassifier):
    """TF-IDF (word + char n-grams) and class-balanced logistic regression, one per task.

    Both tasks share one featurisation of the claim text. With `stance_structure`
    "decomposed" (the default) stance is a `DecomposedStanceRegression` whenever the labels
    have `none` and two sides; "flat" is one three-way regression. With `context`, the stance
    classifier also reads TF-IDF word n-grams of the context, weighted by `context_weight`.
    With several targets, the stance classifier sees a copy of the features per target
    (zero unless the claim is about that target), so it learns target-specific weights
    beside shared ones.
    """

    method = "baseline"

    def __init__(
        self,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (2, 5),
        C: float = 10.0,
        mask_speakers: bool = False,
        context: bool = False,
        context_weight: float = 0.5,
        stance_structure: str = "decomposed",
    ) -> None:
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.C = C
        self.mask_speakers = mask_speakers
        self.context = context
        self.context_weight = context_weight
        self.stance_structure = stance_structure

    def _fit(self, rows: list[ClaimInput], stances: np.ndarray, sentiments: np.ndarray,
             weights: np.ndarray) -> None:
        with threadpool_limits(free_cores()):
            self.features_ = make_features(tuple(self.word_ngrams), tuple(self.char_ngrams))
            matrix = self.features_.fit_transform([r.text for r in rows])
            self.context_features_ = None
            contexts = [r.context for r in rows]
            if self.context and any(contexts):
                self.context_features_ = make_features(tuple(self.word_ngrams), None)
                self.context_features_.fit(contexts)
            stance_matrix = self._stance_matrix(matrix, rows)
            # Fitted on label names, so that a card whose labels were changed is caught on load.
            names = np.array(self.card_.stances, dtype=object)[stances]
            self.stance_model_ = self._stance_regression(names).fit(stance_matrix, names,
                                                                    sample_weight=weights)
            known = np.flatnonzero(sentiments >= 0)
            self.sentiment_model_ = None
            if len(known):
                names = np.array(self.card_.sentiments, dtype=object)
                self.sentiment_model_ = balanced_regression(self.C).fit(
                    matrix[known], names[sentiments[known]], sample_weight=weights[known])

    def _stance_regression(self, stances: np.ndarray) -> ClassifierMixin:
        """The decomposed stance regression where asked for and the labels allow it."""
        sides = set(stances) - {NONE}
        if self.stance_structure == "decomposed" and NONE in set(stances) and len(sides) > 1:
            return DecomposedStanceRegression(self.C)
        return balanced_regression(self.C)

    def _stance_matrix(self, matrix: sp.csr_matrix, rows: Sequence[ClaimInput]) -> sp.csr_matrix:
        """Text features, context features if read, and a copy per target if several."""
        if self.context_features_ is not None:
            context = tfidf_features(self.context_features_, [r.context for r in rows])
            matrix = sp.hstack([matrix, self.context_weight * context], format="csr")
        targets = self.card_.targets
        if len(targets) < 2:
            return matrix
        blocks = [matrix]
        for target in targets:
            on = np.fromiter((r.target == target for r in rows), dtype=np.float32, count=len(rows))
            blocks.append(sp.diags(on) @ matrix)
        return sp.hstack(blocks, format="csr")

    def _log_probabilities(self, rows: list[ClaimInput]) -> tuple[np.ndarray, np.ndarray | None]:
        stance, sentiment = [], []
        for start in range(0, len(rows), CHUNK):  # chunks keep the n-gram arrays in cache
            chunk = rows[start : start + CHUNK]
            matrix = tfidf_features(self.features_, [r.text for r in chunk])
            stance.append(probabilities(self.stance_model_, self._stance_matrix(matrix, chunk),
                                        self.card_.stances))
            if self.sentiment_model_ is not None:
                sentiment.append(probabilities(self.sentiment_model_, matrix,
                                               self.card_.sentiments))
        log = np.log(np.clip(np.vstack(stance), 1e-12, 1.0))
        return log, np.log(np.clip(np.vstack(sentiment), 1e-12, 1.0)) if sentiment else None

    def save_pretrained(self, folder: str | Path) -> None:
        """Write model.json, README.md and the fitted parts as baseline.skops into `folder`."""
        card = self.card
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        parts = {"features": self.features_, "stance": self.stance_model_}
        if self.context_features_ is not None:
            parts["context_features"] = self.context_features_
        if self.sentiment_model_ is not None:
            parts["sentiment"] = self.sentiment_model_
        sio.dump(parts, folder / SKOPS_FILE, compression=zipfile.ZIP_DEFLATED)
        write_card(folder, card)

    @classmethod
    def from_pretrained(cls, folder: str | Path, verify: bool = True) -> BaselineClassifier:
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
            features, stance = parts["features"], parts["stance"]
        except ModelError:
            raise
        except Exception as err:  # skops raises many kinds of errors on a damaged file
            raise ModelError(f"{path}: unreadable baseline model ({err})") from None
        if card.sentiments and "sentiment" not in parts:
            raise ModelError(f"{path}: incomplete baseline model (no sentiment classifier)")
        check_label_sets(card, stance, parts.get("sentiment"), path)
        names = cls._get_param_names()
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in card.settings.items()}
        params = {k: v for k, v in params.items() if k in names}
        params.update(context=card.context, mask_speakers=card.masked_speakers)
        model = cls(**params)
        model.card_, model.features_, model.stance_model_ = card, features, stance
        model.context_features_ = parts.get("context_features")
        model.sentiment_model_ = parts.get("sentiment")
        model.classes_ = np.array(card.stances, dtype=object)
        model.sentiments_ = np.array(card.sentiments, dtype=object)
        return model
