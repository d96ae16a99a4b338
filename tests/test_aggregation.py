"""Speaker positions: the documented rule, computed by hand on small cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stancekit.aggregation import (
    EVIDENCE_PER_SIDE,
    INSUFFICIENT,
    PRIOR_MASS,
    PositionAggregator,
    bootstrap_interval,
    position_score,
    speaker_positions,
    speaker_type,
    verdict,
)
from stancekit.records import Claim, Prediction, ScoredClaim


def scored(cid: str, speaker: str, favor: float, against: float, positive: float = 0.0,
           negative: float = 0.0, article: str = "a") -> ScoredClaim:
    none = 1.0 - favor - against
    probs = {"favor": favor, "against": against, "none": none}
    stance = max(probs, key=probs.get)
    tone = {"positive": positive, "negative": negative, "neutral": 1.0 - positive - negative}
    claim = Claim(id=cid, article_id=article, start=0, end=1, text="x", speaker=speaker)
    return ScoredClaim(claim, "t", Prediction(stance, probs, max(tone, key=tone.get), tone))


def by_name(rows):
    return {row.speaker: row for row in rows}


def test_position_counts_stance_bearing_claims_only():
    rows = by_name(speaker_positions([
        scored("1", "Ann Lee", 0.8, 0.1, positive=0.6),
        scored("2", "Ann Lee", 0.3, 0.05, negative=0.2),  # predicted none: no position
        scored("3", "Ann Lee", 0.7, 0.2),
    ]))
    ann = rows["Ann Lee"]
    expected = ((0.8 - 0.1) + (0.7 - 0.2)) / (0.9 + 0.9 + PRIOR_MASS)
    assert ann.position == pytest.approx(expected, abs=1e-4)
    assert ann.n_claims == 3 and ann.n_stance_claims == 2 and ann.verdict == "favor"
    assert ann.sentiment == pytest.approx((0.6 - 0.2) / 3, abs=1e-4)
    assert ann.evidence == ("1", "3", "2")  # favor side strongest first, then no stance


def test_speaker_with_only_none_claims_stays_at_zero_left_of_a_favor_speaker():
    """Issue 17: seven claims all predicted none, p_favor 0.08-0.24, once gave +0.43 and
    were plotted right of a favor speaker; the README says such a speaker stays near 0."""
    quiet = [scored(f"q{i}", "Cy Park", f, 0.02, article=f"q{i}")
             for i, f in enumerate((0.08, 0.11, 0.14, 0.17, 0.2, 0.22, 0.24))]
    favor = [scored("f1", "Di Cho", 0.55, 0.1), scored("f2", "Di Cho", 0.5, 0.2)]
    rows = by_name(speaker_positions(quiet + favor))
    cy, di = rows["Cy Park"], rows["Di Cho"]
    assert all(s.prediction.stance == "none" for s in quiet)
    assert cy.position == 0.0 and cy.n_stance_claims == 0 and cy.verdict == INSUFFICIENT
    assert di.verdict == "favor" and cy.position < di.position
    # the classifier's doubt still shows in the interval: wide, and reaching into favor
    assert cy.interval_low <= 0.0 < cy.interval_high


def test_fewer_than_two_stance_claims_is_insufficient_evidence():
    rows = by_name(speaker_positions([
        scored("1", "Ann Lee", 0.95, 0.0), scored("2", "Ann Lee", 0.1, 0.1),
        scored("3", "Bo Kim", 0.0, 0.9), scored("4", "Bo Kim", 0.1, 0.8),
    ]))
    assert rows["Ann Lee"].position > 0.5 and rows["Ann Lee"].verdict == INSUFFICIENT
    assert rows["Bo Kim"].verdict == "against"


def test_verdict_rule():
    assert verdict(0, 0.0) == INSUFFICIENT
    assert verdict(1, 0.9) == INSUFFICIENT
    assert verdict(2, 0.2) == "favor"
    assert verdict(2, -0.35) == "against"
    assert verdict(3, 0.1) == "mixed"


def test_evidence_keeps_the_strongest_claims_of_each_side():
    claims = [scored(f"f{i}", "Ann Lee", 0.5 + i / 100, 0.1) for i in range(20)]
    claims += [scored(f"a{i}", "Ann Lee", 0.1, 0.5 + i / 100) for i in range(3)]
    [ann] = speaker_positions(claims)
    assert ann.n_claims == 23
    favor_ids = tuple(f"f{i}" for i in range(19, 19 - EVIDENCE_PER_SIDE, -1))
    assert ann.evidence == favor_ids + ("a2", "a1", "a0")


def test_narrator_is_left_out_and_joint_claims_count_for_each():
    rows = by_name(speaker_positions([
        scored("1", "narrator", 0.9, 0.0),
        scored("2", "Bo Kim; Cy Park", 0.0, 0.9),
        scored("3", "Cy Park", 0.0, 0.8),
    ]))
    assert set(rows) == {"Bo Kim", "Cy Park"}
    assert rows["Bo Kim"].n_claims == 1 and rows["Cy Park"].n_claims == 2
    assert rows["Cy Park"].verdict == "against"


@pytest.mark.parametrize("canonical", [
    {"Brook": "Ann Brook", "Mayor Brook": "Ann Brook"},
    lambda name: "Ann Brook" if "Brook" in name else name,
])
def test_canonical_names_merge_variants_into_one_speaker_with_aliases(canonical):
    rows = by_name(speaker_positions([
        scored("1", "Ann Brook", 0.9, 0.0, article="x"),
        scored("2", "Brook", 0.8, 0.1, article="x"),
        scored("3", "Mayor Brook", 0.7, 0.1, article="y"),
        scored("4", "Brook; Ann Brook", 0.9, 0.0, article="z"),  # one speaker: counted once
        scored("5", "Bo Kim", 0.1, 0.8, article="z"),
    ], canonical=canonical))
    assert set(rows) == {"Ann Brook", "Bo Kim"}
    brook = rows["Ann Brook"]
    assert brook.n_claims == 4 and brook.n_articles == 3
    assert brook.aliases == ("Brook", "Mayor Brook")
    assert rows["Bo Kim"].aliases == () and rows["Bo Kim"].n_articles == 1


def test_aliases_known_from_elsewhere_are_added_to_the_variants_seen():
    aggregator = PositionAggregator(
        canonical={"Brook": "Ann Brook"},
        aliases=lambda name: ["A. Brook"] if name == "Ann Brook" else [])
    aggregator.add(scored("1", "Brook", 0.9, 0.0))
    aggregator.add(scored("2", "Bo Kim", 0.9, 0.0))
    rows = by_name(aggregator.positions())
    assert rows["Ann Brook"].aliases == ("A. Brook", "Brook") and rows["Bo Kim"].aliases == ()


@pytest.mark.parametrize("name, kind", [
    ("Ann Lee", "person"), ("Kim Yo-jong", "person"), ("Experts", "collective"),
    ("Opponents", "collective"), ("U.S. officials", "collective"),
    ("Some lawmakers", "collective"), ("South Ruritanian lawmakers", "collective"),
    ("Allies", "collective"), ("Ruritanians", "collective"), ("Countries", "collective"),
    ("The Foreign Ministry", "body"), ("Roth administration", "body"),
    ("Harbour Authority", "body"), ("Port authorities", "collective"),
    ("North Atlantis", "body"), ("Ruritania", "body"), ("UNESCO", "body"),
    ("author:Example Blog", "author"),
])
def test_speaker_type(name, kind):
    assert speaker_type(name) == kind


def test_types_keep_people_apart_and_can_be_overridden():
    claims = [scored("1", "Experts", 0.9, 0.0), scored("2", "Experts", 0.9, 0.0),
              scored("3", "Ann Lee", 0.0, 0.9), scored("4", "Ruritania", 0.5, 0.3)]
    rows = speaker_positions(claims)
    assert [(r.speaker, r.type) for r in rows] == [
        ("Ann Lee", "person"), ("Ruritania", "body"), ("Experts", "collective")]
    aggregator = PositionAggregator(speaker_types={"Ruritania": "person"})
    for claim in claims:
        aggregator.add(claim)
    assert by_name(aggregator.positions())["Ruritania"].type == "person"


def test_interval_resamples_articles_not_only_claims():
    # The same eight claims: four favor and four against. Split by article (one article all
    # favor, one all against) they are two pieces of evidence, not eight.
    def claims(article_of):
        return [scored(str(i), "Ann Lee", *((0.9, 0.05) if i < 4 else (0.05, 0.9)),
                       article=article_of(i)) for i in range(8)]

    [clustered] = speaker_positions(claims(lambda i: "one" if i < 4 else "two"))
    [spread] = speaker_positions(claims(lambda i: f"article-{i % 4}"))
    assert clustered.n_articles == 2 and spread.n_articles == 4
    assert clustered.position == pytest.approx(spread.position)
    width = lambda p: p.interval_high - p.interval_low  # noqa: E731
    assert width(clustered) > width(spread) + 0.4


def test_interval_widens_with_fewer_claims_and_less_confidence():
    rng = np.random.default_rng(0)
    one = bootstrap_interval([1], [0.9], [0.05], rng)
    many = bootstrap_interval([3] * 10, [2.7] * 10, [0.15] * 10, rng)
    unsure = bootstrap_interval([3] * 10, [1.5] * 10, [0.9] * 10, rng)
    assert one[1] - one[0] > many[1] - many[0]
    assert many[0] > 0.5
    assert unsure[1] - unsure[0] > many[1] - many[0]


def test_table_is_sorted_and_repeatable_and_independent_of_other_speakers():
    claims = [scored(str(i), name, f, a) for i, (name, f, a) in enumerate(
        [("Al Ma", 0.1, 0.8), ("Bo Na", 0.9, 0.05), ("Cy Ox", 0.45, 0.4), ("Bo Na", 0.6, 0.1),
         ("Al Ma", 0.1, 0.7), ("Cy Ox", 0.1, 0.6)])]
    first, second = speaker_positions(claims), speaker_positions(claims)
    assert [row.speaker for row in first] == ["Bo Na", "Cy Ox", "Al Ma"]
    assert first == second
    assert all(row.interval_low <= row.position <= row.interval_high for row in first)
    [alone] = speaker_positions([c for c in claims if c.claim.speaker == "Al Ma"])
    assert alone == by_name(first)["Al Ma"]


def test_positions_over_time_show_a_change_of_side():
    aggregator = PositionAggregator()
    for i in range(4):
        aggregator.add(scored(f"a{i}", "Ann Lee", 0.85, 0.05, article=f"early{i // 2}"),
                       period="2019-Q1")
        aggregator.add(scored(f"b{i}", "Ann Lee", 0.05, 0.85, article=f"late{i // 2}"),
                       period="2020-Q3")
    aggregator.add(scored("c", "Bo Kim", 0.9, 0.0, article="late0"), period="2020-Q3")
    rows = aggregator.positions_over_time()
    assert [(r.speaker, r.period, r.verdict) for r in rows] == [
        ("Ann Lee", "2019-Q1", "favor"), ("Ann Lee", "2020-Q3", "against"),
        ("Bo Kim", "2020-Q3", INSUFFICIENT)]
    early, late = rows[0], rows[1]
    assert early.interval_low > 0 > late.interval_high and early.n_articles == 2
    [overall] = [r for r in aggregator.positions() if r.speaker == "Ann Lee"]
    assert overall.n_claims == 8 and overall.verdict == "mixed"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.floats(0, 1), st.floats(0, 1)), min_size=1,
                max_size=20))
def test_position_and_interval_stay_in_range(groups):
    n = [g for g, _, _ in groups]
    favor = [g * f for g, f, _ in groups]
    against = [g * min(a, 1 - f) for g, f, a in groups]
    low, high = bootstrap_interval(n, favor, against, np.random.default_rng(1), n_boot=200)
    assert -1 <= low <= high <= 1
    assert -1 <= position_score(sum(favor) - sum(against), sum(favor) + sum(against)) <= 1


def test_intervals_cover_the_true_position_when_the_probabilities_are_calibrated():
    # Simulated speakers whose articles lean one way or another and whose claims' true
    # stances are drawn from the very probabilities the classifier reports: the 95% interval
    # should then hold the position the true labels give for about 95% of them, or more
    # (resampling articles is conservative for the speaker's own claims).
    rng = np.random.default_rng(5)
    claims, truth = [], {}
    for s in range(150):
        lean, n_favor, n_against = rng.dirichlet([1, 1, 2]), 0, 0
        for a in range(rng.integers(1, 6)):
            article_lean = rng.dirichlet(lean * 5 + 0.2)
            for c in range(rng.integers(1, 5)):
                p = rng.dirichlet(article_lean * 4 + 0.1)
                true = rng.choice(3, p=p)
                n_favor, n_against = n_favor + (true == 0), n_against + (true == 1)
                probs = dict(zip(("favor", "against", "none"), p.tolist(), strict=True))
                claims.append(ScoredClaim(
                    Claim(f"{s}-{a}-{c}", f"{s}-{a}", 0, 1, "x", f"Speaker {s}"), "t",
                    Prediction(max(probs, key=probs.get), probs)))
        truth[f"Speaker {s}"] = position_score(n_favor - n_against, n_favor + n_against)
    rows = speaker_positions(claims, n_boot=500)
    covered = [r.interval_low - 1e-9 <= truth[r.speaker] <= r.interval_high + 1e-9
               for r in rows]
    assert 0.92 <= np.mean(covered) <= 1.0
