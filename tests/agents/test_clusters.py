"""National cluster rounds (agents/clusters.py): who is a candidate and how often each wins.

Statistical checks repeat one round many times from a fixed seed and allow 4 binomial standard
errors per industry.
"""

import numpy as np

from agents import clusters
from agents.categories import Structure
from agents.clusters import ClusterParams
from agents.firm import FirmState

ROUNDS = 20_000
INDUSTRIES = (
    "construction_machinery",
    "autos_and_parts",
    "digital",
    "new_materials",
    "video_and_culture",
    "modern_seed",
    "aerospace",
    "life_and_health",
    "intelligent_equipment",
    "other",
)
PLACES = Structure(INDUSTRIES, ("anywhere",), catch_all="other")
CANDIDATES = INDUSTRIES[:-1]  # the catch-all "other" is never a candidate


def firms_with_rd(rd_by_industry: dict[str, float]) -> FirmState:
    """One firm per industry with the given real R&D (others get the mean share of R&D)."""
    firms = FirmState()
    rd = np.array([rd_by_industry.get(name, 1.0) for name in INDUSTRIES])
    firms.append(len(INDUSTRIES), industry=np.arange(len(INDUSTRIES)), rd_real=rd)
    return firms


def win_shares(firms, already, p, seed=1):
    rng = np.random.default_rng(seed)
    wins = dict.fromkeys(INDUSTRIES, 0)
    for _ in range(ROUNDS):
        for name in clusters.cluster_round(
            firms, already, p, rng, PLACES.industries, PLACES.candidates
        ):
            wins[name] += 1
    return {k: v / ROUNDS for k, v in wins.items()}


def assert_share(got, p):
    assert abs(got - p) < 4 * np.sqrt(p * (1 - p) / ROUNDS), (got, p)


def test_every_candidate_wins_at_the_base_rate_without_strength_effect():
    p = ClusterParams(cluster_win_rate=0.06, cluster_strength_elasticity=0.0)
    shares = win_shares(firms_with_rd({"digital": 50.0}), [], p)
    for name in CANDIDATES:
        assert_share(shares[name], 0.06)
    assert shares["other"] == 0.0


def test_win_probability_scales_with_the_industry_rd_share():
    # Digital has 3x the mean R&D share of the nine candidates; "other" holds R&D too but its
    # share does not enter the mean.
    rd = {"digital": 3.0, "other": 5.0}
    firms = firms_with_rd(rd)
    total = sum(rd.get(n, 1.0) for n in INDUSTRIES)
    mean_share = (8 * 1.0 + 3.0) / 9 / total
    p = ClusterParams(cluster_win_rate=0.06, cluster_strength_elasticity=1.0)
    shares = win_shares(firms, [], p)
    assert_share(shares["digital"], 0.06 * (3.0 / total) / mean_share)
    assert_share(shares["aerospace"], 0.06 * (1.0 / total) / mean_share)
    squared = win_shares(firms, [], ClusterParams(0.06, cluster_strength_elasticity=2.0), seed=2)
    assert_share(squared["digital"], 0.06 * ((3.0 / total) / mean_share) ** 2)


def test_win_probability_is_capped_and_winners_leave_the_candidates():
    firms = firms_with_rd({"digital": 1000.0})
    shares = win_shares(firms, ["autos_and_parts"], ClusterParams(0.5, 1.0))
    assert_share(shares["digital"], 0.9)  # 0.5 x (share / mean) is far above the cap
    assert shares["autos_and_parts"] == 0.0  # already a national cluster


def test_dead_firms_do_not_count_and_count_is_the_list_length():
    firms = firms_with_rd({"digital": 1000.0})
    firms.alive[INDUSTRIES.index("digital")] = False
    p = ClusterParams(0.06, 1.0)
    shares = win_shares(firms, [], p)
    assert shares["digital"] == 0.0  # its only firm exited: R&D share 0, probability 0
    assert clusters.count(["digital", "aerospace"]) == 2 and clusters.count([]) == 0


def test_a_region_without_a_catch_all_industry_has_every_industry_as_candidate():
    places = Structure(("a", "b", "c"), ("z",))
    np.testing.assert_array_equal(places.candidates, [0, 1, 2])
    firms = FirmState()
    firms.append(3, industry=np.arange(3), rd_real=np.ones(3))
    rng = np.random.default_rng(3)
    wins = dict.fromkeys(places.industries, 0)
    p = ClusterParams(cluster_win_rate=0.1, cluster_strength_elasticity=0.0)
    for _ in range(ROUNDS):
        for name in clusters.cluster_round(firms, [], p, rng, places.industries, places.candidates):
            wins[name] += 1
    for name in places.industries:
        assert_share(wins[name] / ROUNDS, 0.1)
