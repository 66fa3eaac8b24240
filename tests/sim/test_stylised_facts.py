"""The firm-level stylised facts docs/ODD.md (Element 1, patterns) claims, on a full model run.

One enacted run to 2030 (seed 1) gives a panel of about 150,000 firm-years and 660,000
firm-quarters. Measured on seeds 1-4 (spread in brackets):

* growth rates standardised within 20 size classes: excess kurtosis 3.0 (2.96-3.06) for
  quarterly growth - the Laplace's 3, a tent-shaped log density - but 0.75 (0.73-0.76) for
  yearly growth, the known gap ODD.md states (quarterly shocks add up to a near-normal year);
* size-variance scaling: slope of log s.d. of growth on log size -0.167 (-0.169 to -0.166)
  quarterly and yearly, inside the 0.15-0.2 the ODD cites;
* yearly exit rate by age at the start of the year: 0.039, 0.072, 0.077, 0.067, 0.058, 0.052,
  0.039, 0.023 for ages 0-7 and 0.026 beyond (each +- 0.003 between seeds): it rises to a
  peak at ages 1-3 and falls afterwards.

Differences of exit rates are compared with two-proportion z-tests at 4 standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.compose import load_config
from sim.model import InnovationModel

SIZE_CLASSES = 20


@pytest.fixture(scope="module")
def panel() -> dict:
    """Quarterly and yearly growth, start-of-period size, and yearly exits by age."""
    cfg = load_config(["run.horizon=2030", "run.people_per_agent=20000"])
    m = InnovationModel(cfg, rng=np.random.default_rng(1))
    f = m.firms
    quarterly, quarter_size = [], []
    year_start = (f.revenue.copy(), f.alive.copy(), f.age.copy())
    yearly, year_size, exit_age, exited = [], [], [], []
    while m.running:
        n = f.n
        revenue, alive = f.revenue.copy(), f.alive.copy()
        m.step()
        both = alive & f.alive[:n]
        quarterly.append(np.log(f.revenue[:n][both] / revenue[both]))
        quarter_size.append(revenue[both])
        if m.quarter == 4:
            r0, a0, age0 = year_start
            k = len(r0)
            survived = a0 & f.alive[:k]
            yearly.append(np.log(f.revenue[:k][survived] / r0[survived]))
            year_size.append(r0[survived])
            exit_age.append(age0[a0])
            exited.append(~f.alive[:k][a0])
            year_start = (f.revenue.copy(), f.alive.copy(), f.age.copy())
    cat = np.concatenate
    return {
        "quarterly": (cat(quarterly), cat(quarter_size)),
        "yearly": (cat(yearly), cat(year_size)),
        "exit": (cat(exit_age), cat(exited)),
    }


def standardised_kurtosis(growth: np.ndarray, size: np.ndarray) -> float:
    """Excess kurtosis of growth standardised within size classes (Laplace 3, normal 0)."""
    log_size = np.log(size)
    edges = np.quantile(log_size, np.linspace(0, 1, SIZE_CLASSES + 1))[1:-1]
    cls = np.digitize(log_size, edges)
    z = np.empty_like(growth)
    for c in range(SIZE_CLASSES):
        g = growth[cls == c]
        z[cls == c] = (g - g.mean()) / g.std()
    return float(stats.kurtosis(z))


def size_variance_slope(growth: np.ndarray, size: np.ndarray, classes: int = 12) -> float:
    """Slope of log s.d. of growth on log size across size classes (2nd-98th percentile)."""
    log_size = np.log(size)
    edges = np.quantile(log_size, np.linspace(0.02, 0.98, classes + 1))
    x, y = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        sel = (log_size >= lo) & (log_size < hi)
        x.append(log_size[sel].mean())
        y.append(np.log(growth[sel].std()))
    return float(np.polyfit(x, y, 1)[0])


def test_quarterly_growth_rates_are_tent_shaped(panel):
    assert len(panel["quarterly"][0]) > 500_000
    assert 2.5 < standardised_kurtosis(*panel["quarterly"]) < 3.5  # Laplace 3 (measured 3.0)


@pytest.mark.xfail(
    strict=True,
    reason="yearly growth is near-normal: standardised excess kurtosis 0.75 (seeds 1-4: "
    "0.73-0.76), not the Laplace's 3; quarterly shocks add up (the gap ODD.md states)",
)
def test_yearly_growth_rates_are_tent_shaped(panel):
    assert standardised_kurtosis(*panel["yearly"]) > 2.0


@pytest.mark.parametrize("period", ["quarterly", "yearly"])
def test_growth_volatility_falls_with_size_as_a_power_law(panel, period):
    slope = size_variance_slope(*panel[period])
    assert -0.20 < slope < -0.15, slope  # the ODD's 0.15-0.2 (measured -0.167 +- 0.001)


def exit_rate(panel, lo: float, hi: float) -> tuple[float, float]:
    """Yearly exit rate of firms aged [lo, hi) at the start of the year, with its s.e."""
    age, exited = panel["exit"]
    sel = (age >= lo) & (age < hi)
    p = exited[sel].mean()
    return float(p), float(np.sqrt(p * (1 - p) / sel.sum()))


def clearly_above(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] - b[0] > 4 * np.hypot(a[1], b[1])


def test_exit_hazard_rises_to_a_peak_at_ages_two_to_three_and_falls(panel):
    rates = [exit_rate(panel, a, a + 1) for a in range(8)] + [exit_rate(panel, 8, np.inf)]
    peak = int(np.argmax([r for r, _ in rates]))
    assert peak in (1, 2, 3), [round(r, 4) for r, _ in rates]
    assert clearly_above(rates[2], rates[0])  # rises from entry
    assert clearly_above(rates[2], rates[5]) and clearly_above(rates[5], rates[7])  # then falls
    assert clearly_above(rates[3], rates[8])  # old firms exit least
