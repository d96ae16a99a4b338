"""Speaker positions: where each speaker stands, with a bootstrap interval and its evidence.

The rule, for one speaker's claims with predicted probabilities p_favor, p_against:

- position = sum(p_favor - p_against) / (sum(p_favor + p_against) + PRIOR_MASS), in [-1, 1].
  Weighting by stance mass keeps claims with no stance from drowning the ones that have
  one; PRIOR_MASS (half a claim of neutral weight) keeps a speaker whose claims carry
  almost no stance near 0 instead of letting a few stray percent decide the sign.
- interval: the 2.5th and 97.5th percentiles of the position over N_BOOT bootstrap
  replicates. Each replicate resamples the speaker's claims with replacement and draws
  every resampled claim's stance from its predicted probabilities, so the interval carries
  both how few claims there are and how unsure the classifier was about each. Where the
  position (an expectation) falls just outside the sampled percentiles, as it can for a
  speaker with almost no stance, the interval is widened to include it.
- verdict: `none` when no claim is predicted favor or against; else `favor` when the
  position is at least VERDICT_MARGIN, `against` when it is at most -VERDICT_MARGIN, and
  `mixed` in between. The verdict says which way the evidence leans; the interval says how
  sure that is (one claim gives a wide interval however confident the classifier was).
- sentiment: the mean of p_positive - p_negative over the speaker's claims (0 if the model
  has no sentiment head).

`narrator` (unattributed background) is left out; a joint claim counts for each speaker.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from stancekit.records import NARRATOR, ScoredClaim, SpeakerPosition, split_speakers

PRIOR_MASS = 0.5
VERDICT_MARGIN = 0.2
N_BOOT = 2000
INTERVAL = (2.5, 97.5)


@dataclass
class _Evidence:
    """What the aggregation needs of one speaker's claims, kept compact for large corpora."""

    favor: list[float] = field(default_factory=list)
    against: list[float] = field(default_factory=list)
    tone: list[float] = field(default_factory=list)
    n_stance: int = 0
    claim_ids: list[str] = field(default_factory=list)

    def add(self, scored: ScoredClaim) -> None:
        p = scored.prediction
        self.favor.append(p.stance_probs.get("favor", 0.0))
        self.against.append(p.stance_probs.get("against", 0.0))
        probs = p.sentiment_probs
        self.tone.append(probs.get("positive", 0.0) - probs.get("negative", 0.0))
        self.n_stance += p.stance in ("favor", "against")
        self.claim_ids.append(scored.claim.id)


class PositionAggregator:
    """Accumulates scored claims one at a time; `positions()` gives the speaker table."""

    def __init__(self, exclude: Iterable[str] = (NARRATOR,), n_boot: int = N_BOOT,
                 seed: int = 0) -> None:
        self.exclude = set(exclude)
        self.n_boot = n_boot
        self.seed = seed
        self._by_speaker: dict[str, _Evidence] = defaultdict(_Evidence)

    def add(self, scored: ScoredClaim) -> None:
        for speaker in split_speakers(scored.claim.speaker):
            if speaker not in self.exclude:
                self._by_speaker[speaker].add(scored)

    def positions(self) -> list[SpeakerPosition]:
        """Speaker positions, most in favor first (ties by name)."""
        rng = np.random.default_rng(self.seed)
        table = [
            _position(speaker, evidence, rng, self.n_boot)
            for speaker, evidence in sorted(self._by_speaker.items())
        ]
        return sorted(table, key=lambda row: (-row.position, row.speaker))


def speaker_positions(scored_claims: Iterable[ScoredClaim], exclude: Iterable[str] = (NARRATOR,),
                      n_boot: int = N_BOOT, seed: int = 0) -> list[SpeakerPosition]:
    """Positions of every speaker in `scored_claims` (see the module docstring for the rule)."""
    aggregator = PositionAggregator(exclude=exclude, n_boot=n_boot, seed=seed)
    for scored in scored_claims:
        aggregator.add(scored)
    return aggregator.positions()


def position_score(favor: np.ndarray, against: np.ndarray) -> float:
    """The point position of claims with these favor / against probabilities."""
    return float((favor - against).sum() / ((favor + against).sum() + PRIOR_MASS))


def bootstrap_interval(favor: np.ndarray, against: np.ndarray, rng: np.random.Generator,
                       n_boot: int = N_BOOT) -> tuple[float, float]:
    """95% interval of the position: claims resampled, each claim's stance drawn from its probs."""
    n = len(favor)
    picks = rng.integers(0, n, size=(n_boot, n))
    draws = rng.random((n_boot, n))
    is_favor = draws < favor[picks]
    is_against = ~is_favor & (draws < favor[picks] + against[picks])
    n_favor, n_against = is_favor.sum(axis=1), is_against.sum(axis=1)
    replicates = (n_favor - n_against) / (n_favor + n_against + PRIOR_MASS)
    low, high = np.percentile(replicates, INTERVAL)
    return float(low), float(high)


def verdict(n_stance_claims: int, position: float) -> str:
    """`none`, `favor`, `against` or `mixed` (see the module docstring)."""
    if n_stance_claims == 0:
        return "none"
    if position >= VERDICT_MARGIN:
        return "favor"
    if position <= -VERDICT_MARGIN:
        return "against"
    return "mixed"


def _position(speaker: str, evidence: _Evidence, rng: np.random.Generator,
              n_boot: int) -> SpeakerPosition:
    favor, against = np.asarray(evidence.favor), np.asarray(evidence.against)
    position = position_score(favor, against)
    low, high = bootstrap_interval(favor, against, rng, n_boot)
    low, high = min(low, position), max(high, position)
    strength = np.maximum(favor, against)
    order = np.argsort(-strength, kind="stable")
    return SpeakerPosition(
        speaker=speaker,
        n_claims=len(favor),
        n_stance_claims=evidence.n_stance,
        position=round(position, 4),
        interval_low=round(low, 4),
        interval_high=round(high, 4),
        verdict=verdict(evidence.n_stance, position),
        sentiment=round(float(np.mean(evidence.tone)), 4),
        evidence=tuple(evidence.claim_ids[i] for i in order),
    )
