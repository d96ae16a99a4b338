"""The data model of DESIGN.md: small typed, immutable records passed between the stages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STANCES: tuple[str, ...] = ("favor", "against", "none")
NONE = "none"  # the stance of a claim that takes no side on the target
SENTIMENTS: tuple[str, ...] = ("positive", "negative", "neutral")
ARTICLE_KINDS: tuple[str, ...] = ("news", "opinion")
NARRATOR = "narrator"
AUTHOR_PREFIX = "author:"
DEFAULT_TARGET = "end-of-war declaration"
LABEL_ORIGINS: tuple[str, ...] = ("labeled", "written")  # a sentence of an article, or written


@dataclass(frozen=True)
class Article:
    """One news article or opinion piece. `kind` is "news", "opinion" or "" when unknown.

    `kind_confidence` is the probability of `kind` when it was inferred from the text
    (`extraction.genre.with_kind`); None when metadata gave the kind or it is unknown.
    """

    id: str
    text: str
    title: str = ""
    source: str = ""
    date: str = ""
    url: str = ""
    kind: str = ""
    kind_confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Claim:
    """A span `text == article.text[start:end]` in which `speaker` states something.

    `speaker` is a canonical name, several joined by "; " for a joint claim, `narrator` for
    unattributed background, or `author:<source>` for an opinion piece's own commentary.
    `via` names whoever relayed the statement ("" if nobody); `rule` names the extraction
    rule that chose the speaker ("" when not extracted).
    """

    id: str
    article_id: str
    start: int
    end: int
    text: str
    speaker: str
    via: str = ""
    rule: str = ""

    @property
    def speakers(self) -> list[str]:
        """The individual speakers of a (possibly joint) claim."""
        return split_speakers(self.speaker)

    def to_record(self) -> dict[str, Any]:
        """The JSONL record of the labeling guide's format (`article` for `article_id`)."""
        return {"id": self.id, "article": self.article_id, "start": self.start, "end": self.end,
                "text": self.text, "speaker": self.speaker, "via": self.via}


@dataclass(frozen=True)
class LabeledClaim:
    """One hand-labeled training example (see labels/GUIDE.md).

    Records from CSV label files may lack offsets (`start`/`end` None), an article and a
    sentiment; everything that trains or evaluates copes with that. `origin` is "labeled"
    for a sentence of a real article and "written" for a claim the labelers wrote
    themselves (labels/written.jsonl: no offsets, `article` is a group id, not a file).
    """

    id: str
    text: str
    target: str
    stance: str
    sentiment: str | None = None
    speaker: str = ""
    via: str = ""
    article: str = ""
    start: int | None = None
    end: int | None = None
    note: str = ""
    origin: str = "labeled"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Prediction:
    """A classifier's verdict on one claim: labels and their probabilities.

    `sentiment` and `sentiment_probs` are None / empty for a stance-only model.
    """

    stance: str
    stance_probs: dict[str, float]
    sentiment: str | None = None
    sentiment_probs: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ScoredClaim:
    """A claim with the stance and sentiment predicted for it toward `target`."""

    claim: Claim
    target: str
    prediction: Prediction

    def to_record(self) -> dict[str, Any]:
        """Flat record, as written to claims.jsonl."""
        p = self.prediction
        return {
            **self.claim.to_record(),
            "target": self.target,
            "stance": p.stance,
            "stance_probs": p.stance_probs,
            "sentiment": p.sentiment,
            "sentiment_probs": p.sentiment_probs,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ScoredClaim:
        """Inverse of `to_record`."""
        claim = Claim(id=record["id"], article_id=record["article"], start=record["start"],
                      end=record["end"], text=record["text"], speaker=record["speaker"],
                      via=record.get("via", ""))
        prediction = Prediction(record["stance"], record["stance_probs"], record.get("sentiment"),
                                record.get("sentiment_probs") or {})
        return cls(claim, record["target"], prediction)


@dataclass(frozen=True)
class SpeakerPosition:
    """Where one speaker stands: `position` in [-1, 1] (against .. favor) with a 95% interval.

    `type` is person, body, collective or author; `aliases` the other names its claims came
    under; `period` ("2021-Q3") is set for a position over one period only.
    """

    speaker: str
    n_claims: int
    n_stance_claims: int
    position: float
    interval_low: float
    interval_high: float
    verdict: str
    sentiment: float
    evidence: tuple[str, ...] = ()
    type: str = "person"
    aliases: tuple[str, ...] = ()
    n_articles: int = 0
    period: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def split_speakers(speaker: str) -> list[str]:
    """Split a joint speaker field ("A; B") into its names."""
    return [name.strip() for name in speaker.split(";") if name.strip()]
