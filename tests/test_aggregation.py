"""Speaker positions: the documented rule, computed by hand on small cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stancekit.aggregation import (
    EVIDENCE_LIMIT,
    PRIOR_MASS,
    bootstrap_interval,
    position_score,
    speaker_positions,
    verdict,
)
from stancekit.records import Claim, Prediction, ScoredClaim


def scored(cid: str, speaker: str, favor: float, against: float,
           positive: float = 0.0, negative: float = 0.0) -> ScoredClaim:
    none = 1.0 - favor - against
    probs = {"favor": favor, "against": against, "none": none}
    stance = max(probs, key=probs.get)
    tone = {"positive": positive, "negative": negative, "neutral": 1.0 - positive - negative}
    claim = Claim(id=cid, article_id="a", start=0, end=1, text="x", speaker=speaker)
    return ScoredClaim(claim, "t", Prediction(stance, probs, max(tone, key=tone.get), tone))


def by_name(rows):
    return {row.speaker: row for row in rows}


def test_position_is_stance_weighted_and_shrunk_by_the_prior():
    rows = by_name(speaker_positions([
        scored("1", "Ann", 0.8, 0.1, positive=0.6),
        scored("2", "Ann", 0.05, 0.05, negative=0.2),  # a no-stance claim barely moves her
        scored("3", "Ann", 0.7, 0.2),
    ]))
    ann = rows["Ann"]
    expected = ((0.8 - 0.1) + (0.05 - 0.05) + (0.7 - 0.2)) / (0.9 + 0.1 + 0.9 + PRIOR_MASS)
    assert ann.position == pytest.approx(expected, abs=1e-4)
    assert ann.n_claims == 3 and ann.n_stance_claims == 2 and ann.verdict == "favor"
    assert ann.sentiment == pytest.approx((0.6 - 0.2) / 3, abs=1e-4)
    assert ann.evidence == ("1", "3", "2")  # strongest stance first


def test_evidence_keeps_the_strongest_claims_only():
    claims = [scored(str(i), "Ann", 0.3 + i / 1000, 0.0) for i in range(EVIDENCE_LIMIT + 50)]
    [ann] = speaker_positions(claims)
    assert ann.n_claims == EVIDENCE_LIMIT + 50
    assert ann.evidence == tuple(str(i) for i in range(EVIDENCE_LIMIT + 49, 49, -1))


def test_narrator_is_left_out_and_joint_claims_count_for_each():
    rows = by_name(speaker_positions([
        scored("1", "narrator", 0.9, 0.0),
        scored("2", "Bo; Cy", 0.0, 0.9),
        scored("3", "Cy", 0.0, 0.8),
    ]))
    assert set(rows) == {"Bo", "Cy"}
    assert rows["Bo"].n_claims == 1 and rows["Cy"].n_claims == 2
    assert rows["Cy"].verdict == "against" and rows["Cy"].position < rows["Bo"].position + 1e-9


def test_verdict_rule():
    assert verdict(0, 0.9) == "none"
    assert verdict(2, 0.2) == "favor"
    assert verdict(2, -0.35) == "against"
    assert verdict(3, 0.1) == "mixed"


def test_table_is_sorted_by_position_and_repeatable():
    claims = [scored(str(i), name, f, a) for i, (name, f, a) in
              enumerate([("A", 0.1, 0.8), ("B", 0.9, 0.05), ("C", 0.4, 0.4), ("B", 0.6, 0.1)])]
    first, second = speaker_positions(claims), speaker_positions(claims)
    assert [row.speaker for row in first] == ["B", "C", "A"]
    assert first == second
    assert all(row.interval_low <= row.position <= row.interval_high for row in first)


def test_interval_widens_with_fewer_claims():
    rng = np.random.default_rng(0)
    one = bootstrap_interval(1, 0.9, 0.05, rng)
    many = bootstrap_interval(30, 0.9, 0.05, rng)
    assert one[1] - one[0] > many[1] - many[0]
    assert many[0] > 0.3


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=20))
def test_position_and_interval_stay_in_range(pairs):
    favor = np.array([f for f, a in pairs])
    against = np.array([min(a, 1 - f) for f, a in pairs])
    position = position_score(favor.sum(), against.sum())
    low, high = bootstrap_interval(len(pairs), favor.mean(), against.mean(),
                                   np.random.default_rng(1), n_boot=200)
    assert -1 <= low <= high <= 1
    assert -1 <= position <= 1
