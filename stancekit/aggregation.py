"""Speaker positions: where each speaker stands, with a 95% interval and its evidence.

The rule, for one speaker's claims with predicted probabilities p_favor, p_against:

- stance-bearing claims: those predicted `favor` or `against` (the most probable label).
  Only they carry a position: a claim the classifier calls `none` is no evidence of a
  side, however its remaining probability is split.
- position = sum(p_favor - p_against) / (sum(p_favor + p_against) + PRIOR_MASS) over the
  stance-bearing claims, in [-1, 1]. Claims without a stance do not count at all, so a
  speaker whose claims are all predicted `none` stands at exactly 0; PRIOR_MASS (half a
  claim of neutral weight) keeps one or two claims from reaching the ends of the scale.
- interval: the 2.5th and 97.5th percentiles of the position over N_BOOT bootstrap
  replicates of a two-stage resampling. First the speaker's articles are resampled with
  replacement (claims in one article are not independent: one interview gives many
  sentences); then, within each drawn article, its claims are resampled with replacement
  and each drawn claim's stance is drawn from its predicted probabilities (so a `none`
  claim at p_favor 0.2 is favor in a fifth of the replicates). A replicate's position is
  (n_favor - n_against) / (n_favor + n_against + PRIOR_MASS) of its drawn stances. The
  interval is thus wide when there are few articles, few claims, or an unsure classifier.
  Where the position falls just outside the sampled percentiles the interval is widened
  to include it.
- verdict: `insufficient evidence` when fewer than MIN_STANCE_CLAIMS claims are
  stance-bearing; else `favor` when the position is at least VERDICT_MARGIN, `against`
  when at most -VERDICT_MARGIN, and `mixed` in between. The verdict says which way the
  evidence leans; the interval says how sure that is.
- sentiment: the mean of p_positive - p_negative over all the speaker's claims (0 if the
  model has no sentiment head).

Speakers: `narrator` (unattributed background) is left out; a joint claim counts once for
each of its speakers. An optional `canonical` mapping (a `Mapping[str, str]` or a callable,
e.g. a corpus-wide identity resolver's `canonical` method) merges name variants into one
speaker; the variants seen become its `aliases`. Each speaker has a `type` (see
`speaker_type`): named people are kept apart from bodies, collectives and authors.

Memory is constant per speaker (and per speaker and period): running sums, at most
N_GROUPS article groups of three numbers each, and the ids of EVIDENCE_PER_SIDE claims
per side. Each of a speaker's first N_GROUPS articles has a group of its own, so up to
N_GROUPS articles the bootstrap resamples articles exactly; later articles join the groups
round robin (claims arrive article by article, as every stancekit writer emits them), and
the bootstrap then resamples random groups of articles (the "random group" method of
variance estimation). Within a group, resampling
its claims and drawing each one's stance is exactly one multinomial draw with the group's
mean probabilities, which is how it is computed.
"""

from __future__ import annotations

import heapq
import re
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from stancekit.records import AUTHOR_PREFIX, NARRATOR, ScoredClaim, SpeakerPosition, split_speakers

PRIOR_MASS = 0.5
VERDICT_MARGIN = 0.2
MIN_STANCE_CLAIMS = 2
N_BOOT = 2000
INTERVAL = (2.5, 97.5)
N_GROUPS = 64
EVIDENCE_PER_SIDE = 5
INSUFFICIENT = "insufficient evidence"
VERDICTS: tuple[str, ...] = ("favor", "against", "mixed", INSUFFICIENT)
SPEAKER_TYPES: tuple[str, ...] = ("person", "body", "collective", "author")

NameMap = Mapping[str, str] | Callable[[str], str]
TypeMap = Mapping[str, str] | Callable[[str], str | None]
AliasMap = Mapping[str, Iterable[str]] | Callable[[str], Iterable[str]]

# Words that make a speaker's name a body (an institution, state or outlet), and plural
# nouns that make it an unnamed group of people. Data, not code: extend as needed.
BODY_WORDS = frozenset(
    """government administration ministry office house party council committee agency
    department assembly parliament congress senate court union military army navy command
    forces media news newspaper times post daily journal tribune herald press network
    embassy bureau commission institute foundation center centre university republic guild
    authority
    kingdom states nations federation north south east west united of""".split()
)
GROUP_NOUNS = frozenset(
    """official expert analyst critic opponent supporter observer lawmaker legislator
    diplomat source scholar researcher activist resident citizen voter conservative liberal
    progressive protester veteran leader member officer negotiator commentator economist
    professor politician people authority worker student reporter journalist ally
    country""".split()
)
_WORD = re.compile(r"[^\W\d_][\w'.-]*")


def speaker_type(name: str) -> str:
    """`author` for `author:<source>`; `collective` for an unnamed group ("U.S. officials",
    "Experts", "Ruritanians": the last word is a plural of GROUP_NOUNS, a plural demonym,
    or lower case and not a BODY_WORDS word); `body` for an institution, state or outlet (a
    BODY_WORDS word, an acronym, or a single name such as a capital standing for its
    government); else `person`. A heuristic over the name alone: pass `speaker_types` to
    `PositionAggregator` to override it."""
    if name.lower().startswith(AUTHOR_PREFIX):
        return "author"
    words = _WORD.findall(name)
    if not words:
        return "collective"
    last = words[-1].lower()
    plural = _singular(last) != last or last == "people"
    if plural and (_singular(last) in GROUP_NOUNS or (len(words) == 1 and last.endswith("ans"))):
        return "collective"  # "Critics", "Ruritanians"
    if last in BODY_WORDS:
        return "body"
    if words[-1][0].islower():
        return "collective"
    if (len(words) == 1 or any(w.lower() in BODY_WORDS for w in words)
            or any(w.isupper() and len(w.strip(".")) > 1 for w in words)):
        return "body"
    return "person"


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


@dataclass
class _Evidence:
    """Running sums of one speaker's claims (overall or in one period)."""

    n: int = 0
    n_stance: int = 0
    stance_diff: float = 0.0  # sum of p_favor - p_against over stance-bearing claims
    stance_mass: float = 0.0  # sum of p_favor + p_against over stance-bearing claims
    tone: float = 0.0
    n_articles: int = 0
    last_article: str | None = None
    group_n: list[int] = field(default_factory=list)
    group_favor: list[float] = field(default_factory=list)
    group_against: list[float] = field(default_factory=list)
    group: int = 0
    first_groups: dict[str, int] = field(default_factory=dict)  # the first N_GROUPS articles

    def add(self, scored: ScoredClaim) -> None:
        p = scored.prediction
        favor, against = p.stance_probs.get("favor", 0.0), p.stance_probs.get("against", 0.0)
        self.n += 1
        if p.stance in ("favor", "against"):
            self.n_stance += 1
            self.stance_diff += favor - against
            self.stance_mass += favor + against
        self.tone += (p.sentiment_probs.get("positive", 0.0)
                      - p.sentiment_probs.get("negative", 0.0))
        article = scored.claim.article_id
        if article in self.first_groups:
            self.group = self.first_groups[article]
        elif article != self.last_article:
            self.group = self.n_articles % N_GROUPS
            self.n_articles += 1
            if len(self.group_n) < N_GROUPS:
                self.first_groups[article] = self.group
                self.group_n.append(0)
                self.group_favor.append(0.0)
                self.group_against.append(0.0)
        self.last_article = article
        self.group_n[self.group] += 1
        self.group_favor[self.group] += favor
        self.group_against[self.group] += against


@dataclass
class _SpeakerEvidence(_Evidence):
    """A speaker's running sums, its name variants and its strongest claims per side."""

    aliases: set[str] = field(default_factory=set)
    strongest: dict[str, list[tuple[float, int, str]]] = field(
        default_factory=lambda: {"favor": [], "against": [], "none": []})  # min-heaps

    def add(self, scored: ScoredClaim) -> None:
        super().add(scored)
        p = scored.prediction
        favor, against = p.stance_probs.get("favor", 0.0), p.stance_probs.get("against", 0.0)
        side = p.stance if p.stance in ("favor", "against") else "none"
        strength = {"favor": favor - against, "against": against - favor}.get(
            side, max(favor, against))
        heap = self.strongest[side]
        item = (strength, -self.n, scored.claim.id)  # ties: earlier claim first
        if len(heap) < EVIDENCE_PER_SIDE:
            heapq.heappush(heap, item)
        else:
            heapq.heappushpop(heap, item)

    def evidence(self) -> tuple[str, ...]:
        """Ids of the strongest favor, then against, then no-stance claims."""
        return tuple(claim_id for side in ("favor", "against", "none")
                     for _, _, claim_id in sorted(self.strongest[side], reverse=True))


class PositionAggregator:
    """Accumulates scored claims one at a time; `positions()` gives the speaker table and
    `positions_over_time()` the table per speaker and period (see the module docstring).

    `canonical` maps a raw speaker name to its canonical name (a mapping, where a missing
    name stays as it is, or a callable such as `SpeakerIdentity.canonical`); `aliases` gives
    a canonical name's other names known from elsewhere (a mapping or a callable such as
    `SpeakerIdentity.aliases`, for claims whose speakers were made canonical before they
    got here), added to the variants seen; `speaker_types` overrides `speaker_type` for the
    names it knows (a mapping or a callable returning None for unknown names).
    """

    def __init__(self, exclude: Iterable[str] = (NARRATOR,), n_boot: int = N_BOOT,
                 seed: int = 0, canonical: NameMap | None = None,
                 speaker_types: TypeMap | None = None, aliases: AliasMap | None = None) -> None:
        self.exclude = set(exclude)
        self.n_boot = n_boot
        self.seed = seed
        self.canonical = canonical
        self.speaker_types = speaker_types
        self.aliases = aliases
        self._by_speaker: dict[str, _SpeakerEvidence] = {}
        self._by_period: dict[tuple[str, str], _Evidence] = {}

    def add(self, scored: ScoredClaim, period: str | None = None) -> None:
        """Count `scored` for each of its speakers, and in `period` when one is given."""
        names: dict[str, set[str]] = {}
        for raw in split_speakers(scored.claim.speaker):
            if raw not in self.exclude:
                names.setdefault(self._canonical(raw), set()).add(raw)
        for name, raws in names.items():
            if name in self.exclude:
                continue
            evidence = self._by_speaker.setdefault(name, _SpeakerEvidence())
            evidence.add(scored)
            evidence.aliases |= raws - {name}
            if period is not None:
                self._by_period.setdefault((name, period), _Evidence()).add(scored)

    def positions(self) -> list[SpeakerPosition]:
        """Speaker positions: people first, then bodies, groups and authors; within each,
        speakers with a verdict first, most in favor first (ties by name)."""
        table = [self._position(name, evidence, evidence.evidence(), self._aliases(name, evidence))
                 for name, evidence in self._by_speaker.items()]
        return sorted(table, key=_table_order)

    def positions_over_time(self) -> list[SpeakerPosition]:
        """One position per speaker and period with claims, by speaker then period."""
        return [self._position(name, evidence, period=period)
                for (name, period), evidence in sorted(self._by_period.items())]

    def _canonical(self, name: str) -> str:
        if self.canonical is None:
            return name
        if callable(self.canonical):
            return self.canonical(name) or name
        return self.canonical.get(name, name)

    def _aliases(self, name: str, evidence: _SpeakerEvidence) -> tuple[str, ...]:
        known: Iterable[str] = ()
        if callable(self.aliases):
            known = self.aliases(name)
        elif self.aliases is not None:
            known = self.aliases.get(name, ())
        return tuple(sorted((evidence.aliases | set(known)) - {name}))

    def _type(self, name: str) -> str:
        known = None
        if callable(self.speaker_types):
            known = self.speaker_types(name)
        elif self.speaker_types is not None:
            known = self.speaker_types.get(name)
        return known or speaker_type(name)

    def _position(self, speaker: str, evidence: _Evidence, ids: tuple[str, ...] = (),
                  aliases: tuple[str, ...] = (), period: str = "") -> SpeakerPosition:
        position = position_score(evidence.stance_diff, evidence.stance_mass)
        rng = np.random.default_rng([self.seed, zlib.crc32(f"{speaker}\n{period}".encode())])
        low, high = bootstrap_interval(evidence.group_n, evidence.group_favor,
                                       evidence.group_against, rng, self.n_boot)
        return SpeakerPosition(
            speaker=speaker,
            n_claims=evidence.n,
            n_stance_claims=evidence.n_stance,
            position=round(position, 4) + 0.0,  # never -0.0
            interval_low=round(min(low, position), 4),
            interval_high=round(max(high, position), 4),
            verdict=verdict(evidence.n_stance, position),
            sentiment=round(evidence.tone / evidence.n, 4),
            evidence=ids,
            type=self._type(speaker),
            aliases=aliases,
            n_articles=evidence.n_articles,
            period=period,
        )


def _table_order(row: SpeakerPosition) -> tuple[int, bool, float, str]:
    return (SPEAKER_TYPES.index(row.type) if row.type in SPEAKER_TYPES else len(SPEAKER_TYPES),
            row.verdict == INSUFFICIENT, -row.position, row.speaker)


def speaker_positions(scored_claims: Iterable[ScoredClaim], exclude: Iterable[str] = (NARRATOR,),
                      n_boot: int = N_BOOT, seed: int = 0,
                      canonical: NameMap | None = None) -> list[SpeakerPosition]:
    """Positions of every speaker in `scored_claims` (see the module docstring for the rule)."""
    aggregator = PositionAggregator(exclude=exclude, n_boot=n_boot, seed=seed,
                                    canonical=canonical)
    for scored in scored_claims:
        aggregator.add(scored)
    return aggregator.positions()


def position_score(stance_diff: float, stance_mass: float) -> float:
    """The point position of stance-bearing claims whose p_favor - p_against sum to
    `stance_diff` and p_favor + p_against to `stance_mass` (0 when there are none)."""
    return float(stance_diff / (stance_mass + PRIOR_MASS))


def bootstrap_interval(group_n: Iterable[int], group_favor: Iterable[float],
                       group_against: Iterable[float], rng: np.random.Generator,
                       n_boot: int = N_BOOT) -> tuple[float, float]:
    """95% interval of the position of claims in article groups with these claim counts and
    favor / against probability sums: groups resampled, then claims within each drawn
    group, each drawn claim's stance drawn from its probabilities."""
    n = np.asarray(list(group_n), dtype=np.int64)
    favor = np.asarray(list(group_favor), dtype=float) / n
    against = np.asarray(list(group_against), dtype=float) / n
    none = np.clip(1.0 - favor - against, 0.0, None)
    pvals = np.stack([favor, against, none], axis=1)
    pvals /= pvals.sum(axis=1, keepdims=True)
    picks = rng.multinomial(len(n), np.full(len(n), 1 / len(n)), size=n_boot)
    # Drawing n_g claims of group g with replacement, m times, and each one's stance from
    # its probabilities: one multinomial draw of m * n_g with the group's mean probabilities.
    counts = rng.multinomial(picks * n, pvals).sum(axis=1)
    n_favor, n_against = counts[:, 0], counts[:, 1]
    replicates = (n_favor - n_against) / (n_favor + n_against + PRIOR_MASS)
    low, high = np.percentile(replicates, INTERVAL)
    return float(low), float(high)


def verdict(n_stance_claims: int, position: float) -> str:
    """`insufficient evidence`, `favor`, `against` or `mixed` (see the module docstring)."""
    if n_stance_claims < MIN_STANCE_CLAIMS:
        return INSUFFICIENT
    if position >= VERDICT_MARGIN:
        return "favor"
    if position <= -VERDICT_MARGIN:
        return "against"
    return "mixed"
