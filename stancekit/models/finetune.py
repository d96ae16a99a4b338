"""The trainer of the fine-tuned model and its settings (one dataclass, saved whole).

The schedule is sized by the data: enough epochs that a few labels get about `min_steps`
optimizer steps and many labels get at least `min_epochs` passes, with a held-out split
for early stopping once there are enough labels to spare one. An optional SetFit-style
contrastive step (Tunstall et al., 2022) first pulls claims of the same stance together.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from datasets import Dataset
from torch import nn
from tqdm.auto import tqdm

IGNORE = -100  # label index that the loss skips (a claim without sentiment)


@dataclass(frozen=True)
class FineTuneSettings:
    """How the fine-tuned model is trained (every field is saved in model.json).

    `epochs` None sizes the schedule by the data (see `plan_schedule`). Early stopping
    holds out `validation_fraction` of the labels when that is at least `min_validation`
    claims (copies of one input stay together: see `held_out_split`), and keeps the epoch
    with the lowest held-out loss (`patience` epochs without improvement end training).
    `stance_structure` "decomposed" (the default) asks "about the target?" and "which
    side?" with two heads (see `finetuned.DecomposedStanceHead`); "flat" has one
    three-way stance head. `contrastive_epochs` of the SetFit-style step run
    first (none by default: with the decomposed head and 1,461 labels it gave no better
    development-set stance, worse sentiment, and took 2.7 times as long; see the README).
    """

    epochs: int | None = None
    min_steps: int = 80
    min_epochs: int = 3
    max_epochs: int = 12
    lr: float = 1e-4
    head_lr: float = 1e-3
    warmup_fraction: float = 0.1
    weight_decay: float = 0.01
    frozen_layers: int = 3
    batch_size: int = 16
    max_length: int = 128
    validation_fraction: float = 0.1
    min_validation: int = 50
    patience: int = 2
    contrastive_epochs: int = 0
    stance_structure: str = "decomposed"
    seed: int = 0


@dataclass(frozen=True)
class Schedule:
    """What the trainer will do: epochs at most, steps per epoch, rows held out."""

    epochs: int
    steps_per_epoch: int
    n_train: int
    n_validation: int


def plan_schedule(n_labels: int, settings: FineTuneSettings) -> Schedule:
    """The schedule for `n_labels` claims: held-out rows, then epochs so that training runs
    about `min_steps` steps and at least `min_epochs` epochs (`epochs` when given), at most
    `max_epochs`."""
    n_validation = round(n_labels * settings.validation_fraction)
    if n_validation < settings.min_validation:
        n_validation = 0
    n_train = n_labels - n_validation
    steps_per_epoch = max(1, math.ceil(n_train / settings.batch_size))
    epochs = settings.epochs or min(
        settings.max_epochs,
        max(settings.min_epochs, math.ceil(settings.min_steps / steps_per_epoch)),
    )
    return Schedule(epochs, steps_per_epoch, n_train, n_validation)


def pad_batch(
    ids: Sequence[Sequence[int]], pad_id: int, sep_id: int | None, token_types: bool
) -> dict[str, torch.Tensor]:
    """Pad a batch of token-id lists to its own longest (dynamic padding); token type 1
    after the first separator when the encoder has token types."""
    width = max(map(len, ids))
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(ids), width), dtype=torch.long)
    types = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = torch.tensor(seq)
        attention[row, : len(seq)] = 1
        if sep_id is not None and sep_id in seq:
            types[row, list(seq).index(sep_id) + 1 : len(seq)] = 1
    batch = {"input_ids": input_ids, "attention_mask": attention}
    if token_types:
        batch["token_type_ids"] = types
    return batch


def bucketed_batches(lengths: Sequence[int], batch_size: int,
                     generator: torch.Generator, window: int = 32) -> list[list[int]]:
    """Random batches of rows of similar length: shuffle, sort each window of `window`
    batches' worth of rows by length, cut it into batches, shuffle the batches. Each batch
    pads to less, and every epoch still sees every row once in a new order."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    batches = []
    for start in range(0, len(order), batch_size * window):
        chunk = sorted(order[start : start + batch_size * window], key=lengths.__getitem__)
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    shuffled = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffled]


def held_out_split(ids: Sequence[Sequence[int]], n_validation: int,
                   seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Row indices to train on and to hold out (about `n_validation`, whole inputs): the
    rows of one input text go to one side together, so a claim read several times is
    never both trained on and held out."""
    rows_of: dict[tuple[int, ...], list[int]] = {}
    for row, seq in enumerate(ids):
        rows_of.setdefault(tuple(seq), []).append(row)
    groups = list(rows_of.values())
    held_out: list[int] = []
    for g in np.random.default_rng(seed).permutation(len(groups)):
        if len(held_out) >= n_validation:
            break
        held_out += groups[g]
    out = set(held_out)
    kept = [row for row in range(len(ids)) if row not in out]
    return np.array(kept, dtype=np.int64), np.array(sorted(held_out), dtype=np.int64)


def class_weights(indices: Sequence[int], n_classes: int) -> torch.Tensor:
    """Balanced weights n / (k * n_c), as scikit-learn's class_weight="balanced"."""
    counts = np.bincount([i for i in indices if i != IGNORE], minlength=n_classes)
    seen = counts > 0
    weights = np.ones(n_classes)
    weights[seen] = counts[seen].sum() / (seen.sum() * counts[seen])
    return torch.tensor(weights, dtype=torch.float32)


class WeightedCrossEntropy(nn.Module):
    """Cross-entropy with class weights and per-row weights, rows labeled IGNORE skipped:
    sum(w_row * w_class * loss) / sum(w_row * w_class), so with every row weight 1 it is
    `nn.CrossEntropyLoss(class_weights, ignore_index=IGNORE)`."""

    def __init__(self, class_weight: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("class_weight", class_weight)

    def forward(self, logits: torch.Tensor, labels: torch.Tensor,
                row_weight: torch.Tensor) -> torch.Tensor:
        known = labels != IGNORE
        labels, logits, row_weight = labels[known], logits[known], row_weight[known]
        weight = row_weight * self.class_weight[labels]
        losses = nn.functional.cross_entropy(logits, labels, reduction="none")
        return (weight * losses).sum() / weight.sum()


def freeze_bottom(encoder: nn.Module, layers: int) -> None:
    """Keep the embeddings and the lowest `layers` transformer layers as pretrained.

    Fewer weights to fit from a few hundred labels, and a shorter backward pass.
    """
    (getattr(encoder, "embeddings", None) or encoder.get_input_embeddings()).requires_grad_(False)
    n = encoder.config.num_hidden_layers
    stacks = [m for m in encoder.modules() if isinstance(m, nn.ModuleList) and len(m) == n]
    for layer in stacks[0][:layers] if stacks else []:
        layer.requires_grad_(False)


Batcher = Callable[[Sequence[Sequence[int]]], dict[str, torch.Tensor]]


class Trainer:
    """Trains a stance/sentiment network on a tokenized `datasets.Dataset` with columns
    `input_ids`, `stance`, `sentiment` (IGNORE where unknown) and `weight` (of each row's
    loss)."""

    def __init__(self, net: nn.Module, settings: FineTuneSettings, batcher: Batcher,
                 quiet: bool = False) -> None:
        self.net = net
        self.settings = settings
        self.batcher = batcher
        self.quiet = quiet

    def train(self, data: Dataset, n_stances: int, n_sentiments: int) -> dict[str, int]:
        """Train in place; returns what was run (epochs planned and kept, steps, held out)."""
        settings, net = self.settings, self.net
        torch.manual_seed(settings.seed)
        plan = plan_schedule(len(data), settings)
        kept, held_out = held_out_split(data["input_ids"], plan.n_validation, settings.seed)
        train, validation = data.select(kept), data.select(held_out)
        columns = train[:]
        ids, stance, sentiment = columns["input_ids"], columns["stance"], columns["sentiment"]
        weight = columns["weight"]
        stance_loss = WeightedCrossEntropy(class_weights(stance, n_stances))
        sentiment_loss = (
            WeightedCrossEntropy(class_weights(sentiment, n_sentiments)) if n_sentiments else None
        )
        freeze_bottom(net.encoder, settings.frozen_layers)
        if settings.contrastive_epochs:
            self._contrastive(ids, stance)
        encoder = [p for p in net.encoder.parameters() if p.requires_grad]
        heads = [p for n, p in net.named_parameters() if not n.startswith("encoder.")]
        optimizer = torch.optim.AdamW(
            [{"params": encoder, "lr": settings.lr}, {"params": heads, "lr": settings.head_lr}],
            weight_decay=settings.weight_decay,
        )
        # The held-out rows are whole inputs, so they may be a row or two more than planned.
        steps_per_epoch = math.ceil(len(train) / settings.batch_size)
        steps = plan.epochs * steps_per_epoch
        schedule = _warmup_linear(optimizer, steps, settings.warmup_fraction)
        order = torch.Generator().manual_seed(settings.seed)
        best, best_loss, best_epoch, waited = None, math.inf, plan.epochs, 0
        bar = tqdm(range(plan.epochs), desc="epochs", unit="epoch", leave=False,
                   disable=self.quiet)
        for epoch in bar:
            net.train()
            for rows in bucketed_batches([len(i) for i in ids], settings.batch_size, order):
                loss = self._loss([ids[i] for i in rows], [stance[i] for i in rows],
                                  [sentiment[i] for i in rows], [weight[i] for i in rows],
                                  stance_loss, sentiment_loss)
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
                optimizer.step()
                schedule.step()
            if not len(validation):
                continue
            held_out = self._held_out_loss(validation, stance_loss, sentiment_loss)
            if held_out < best_loss:
                best, best_loss, best_epoch, waited = (
                    copy.deepcopy(net.state_dict()), held_out, epoch + 1, 0
                )
            else:
                waited += 1
                if waited >= settings.patience:
                    break
        if best is not None:
            net.load_state_dict(best)
        net.eval()
        return {"epochs_planned": plan.epochs, "epochs_kept": best_epoch,
                "steps_per_epoch": steps_per_epoch, "n_train": len(train),
                "n_validation": len(validation)}

    def _loss(self, ids: list, stance: list[int], sentiment: list[int], weight: list[float],
              stance_loss: WeightedCrossEntropy,
              sentiment_loss: WeightedCrossEntropy | None) -> torch.Tensor:
        stance_logits, sentiment_logits = self.net(**self.batcher(ids))
        weights = torch.tensor(weight, dtype=torch.float32)
        loss = stance_loss(stance_logits, torch.tensor(stance), weights)
        sentiment_rows = torch.tensor(sentiment)
        if sentiment_loss is not None and (sentiment_rows != IGNORE).any():
            loss = loss + sentiment_loss(sentiment_logits, sentiment_rows, weights)
        return loss

    def _held_out_loss(self, data: Dataset, stance_loss: nn.Module,
                       sentiment_loss: nn.Module | None) -> float:
        self.net.eval()
        total, size = 0.0, self.settings.batch_size * 4
        with torch.inference_mode():
            for start in range(0, len(data), size):
                part = data[start : start + size]
                loss = self._loss(part["input_ids"], part["stance"], part["sentiment"],
                                  part["weight"], stance_loss, sentiment_loss)
                total += float(loss) * len(part["stance"])
        return total / len(data)

    def _contrastive(self, ids: list, stance: list[int]) -> None:
        """SetFit's step: for each claim one partner of its stance and one of another, the
        cosine of their mean-pooled embeddings pulled toward 1 and 0 (CosineSimilarityLoss)."""
        settings, net = self.settings, self.net
        rng = np.random.default_rng(settings.seed)
        by_class = {c: np.flatnonzero(np.asarray(stance) == c) for c in set(stance)}
        params = [p for p in net.encoder.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(params, lr=settings.lr, weight_decay=settings.weight_decay)
        net.train()
        for _ in range(settings.contrastive_epochs):
            pairs = []
            for i, c in enumerate(stance):
                others = np.concatenate([v for k, v in by_class.items() if k != c])
                pairs.append((i, int(rng.choice(by_class[c])), 1.0))
                if len(others):
                    pairs.append((i, int(rng.choice(others)), 0.0))
            rng.shuffle(pairs)
            for start in range(0, len(pairs), settings.batch_size):
                chunk = pairs[start : start + settings.batch_size]
                left = net.embed(**self.batcher([ids[a] for a, _, _ in chunk]))
                right = net.embed(**self.batcher([ids[b] for _, b, _ in chunk]))
                target = torch.tensor([y for _, _, y in chunk])
                loss = nn.functional.mse_loss(nn.functional.cosine_similarity(left, right), target)
                if not loss.requires_grad:  # every layer the embedding uses is frozen
                    return
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                optimizer.step()


def _warmup_linear(optimizer: torch.optim.Optimizer, steps: int,
                   warmup_fraction: float) -> torch.optim.lr_scheduler.LambdaLR:
    warmup = max(1, round(steps * warmup_fraction))
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / max(1, steps - warmup))),
    )
