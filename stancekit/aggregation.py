"""Speaker positions: where each speaker stands, with a bootstrap interval and its evidence.

The rule, for one speaker's claims with predicted probabilities p_favor, p_against:

- position = sum(p_favor - p_against) / (sum(p_favor + p_against) + PRIOR_MASS), in [-1, 1].
  Weighting by stance mass keeps claims with no stance from drowning the ones that have
  one; PRIOR_MASS (half a claim of neutral weight) keeps a speaker whose claims carry
  almost no stance near 0 instead of letting a few stray percent decide the sign.
- interval: the 2.5th and 97.5th percentiles of the position over N_BOOT bootstrap
  replicates. Each replicate resamples the speaker's claims with replacement and draws
  every resampled claim's stance from its predicted probabilities, so the interval carries
  both how few claims there are and how unsure the classifier was about each. (That is
  exactly one multinomial draw of n claims with the speaker's mean probabilities, which is
  how it is computed: the aggregation keeps sums, not claims.) Where the
  position (an expectation) falls just outside the sampled percentiles, as it can for a
  speaker with almost no stance, the interval is widened to include it.
- verdict: `none` when no claim is predicted favor or against; else `favor` when the
  position is at least VERDICT_MARGIN, `against` when it is at most -VERDICT_MARGIN, and
  `mixed` in between. The verdict says which way the evidence leans; the interval says how
  sure that is (one claim gives a wide interval however confident the classifier was).
- sentiment: the mean of p_positive - p_negative over the speaker's claims (0 if the model
  has no sentiment head).

`narrator` (unattributed background) is left out; a joint claim counts for each speaker.
A position's evidence is the ids of its EVIDENCE_LIMIT claims with the strongest stance.
Memory is a few numbers per speaker plus that evidence, whatever the corpus size.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from stancekit.records import NARRATOR, ScoredClaim, SpeakerPosition, split_speakers

PRIOR_MASS = 0.5
VERDICT_MARGIN = 0.2
N_BOOT = 2000
INTERVAL = (2.5, 97.5)
EVIDENCE_LIMIT = 100


@dataclass
class _Evidence:
    """Running sums of one speaker's claims and the ids of the strongest ones."""

    n: int = 0
    favor: float = 0.0
    against: float = 0.0
    tone: float = 0.0
    n_stance: int = 0
    strongest: list[tuple[float, int, str]] = field(default_factory=list)  # a min-heap

    def add(self, scored: ScoredClaim) -> None:
        p = scored.prediction
        favor, against = p.stance_probs.get("favor", 0.0), p.stance_probs.get("against", 0.0)
        self.n += 1
        self.favor += favor
        self.against += against
        self.tone += p.sentiment_probs.get("positive", 0.0) - p.sentiment_probs.get("negative",
                                                                                   0.0)
        self.n_stance += p.stance in ("favor", "against")
        item = (max(favor, against), -self.n, scored.claim.id)  # ties: earlier claim first
        if len(self.strongest) < EVIDENCE_LIMIT:
            heapq.heappush(self.strongest, item)
        else:
            heapq.heappushpop(self.strongest, item)

    def evidence(self) -> tuple[str, ...]:
        return tuple(claim_id for _, _, claim_id in sorted(self.strongest, reverse=True))


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


def position_score(favor_sum: float, against_sum: float) -> float:
    """The point position of claims whose favor / against probabilities sum to these."""
    return float((favor_sum - against_sum) / (favor_sum + against_sum + PRIOR_MASS))


def bootstrap_interval(n: int, mean_favor: float, mean_against: float,
                       rng: np.random.Generator, n_boot: int = N_BOOT) -> tuple[float, float]:
    """95% interval of the position of n claims with these mean favor / against probabilities:
    claims resampled, each resampled claim's stance drawn from its probabilities."""
    # Picking a claim at random and drawing its stance gives favor with probability
    # mean_favor: so a replicate's counts are one multinomial draw, exactly.
    p_none = max(0.0, 1.0 - mean_favor - mean_against)
    total = mean_favor + mean_against + p_none
    counts = rng.multinomial(n, [mean_favor / total, mean_against / total, p_none / total],
                             size=n_boot)
    n_favor, n_against = counts[:, 0], counts[:, 1]
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
    position = position_score(evidence.favor, evidence.against)
    low, high = bootstrap_interval(evidence.n, evidence.favor / evidence.n,
                                   evidence.against / evidence.n, rng, n_boot)
    low, high = min(low, position), max(high, position)
    return SpeakerPosition(
        speaker=speaker,
        n_claims=evidence.n,
        n_stance_claims=evidence.n_stance,
        position=round(position, 4),
        interval_low=round(low, 4),
        interval_high=round(high, 4),
        verdict=verdict(evidence.n_stance, position),
        sentiment=round(evidence.tone / evidence.n, 4),
        evidence=evidence.evidence(),
    )
