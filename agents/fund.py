"""Funds: the government guidance fund, its sub-funds, VC/angel funds and knowledge-value credit.

Every fund keeps cumulative cash flows so its balance can be audited:
``cash = inflow - invested + proceeds - fees - distributed`` at all times.
Deals are kept in a :class:`DealBook`; outcomes are skewed (most fail, a few listings return
many times the ticket) and proceeds are recycled into the fund's cash.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.categories import FUND_KINDS
from agents.firm import FirmState
from agents.params import param
from agents.population import Population, RowAgent
from agents.world import CostLedger, PolicyView

GUIDANCE, SUB_FUND, VC, CREDIT = range(len(FUND_KINDS))


@dataclass
class FundParams:
    """Parameters of funds and the capital market (``region.behaviour.fund``)."""

    ticket_yuan: float = param(
        2.0e7,
        low=5.0e6,
        high=5.0e7,
        unit="yuan per deal",
        source="assumption",
        rule="agents.fund.step_quarter",
    )
    deploy_share: float = param(
        0.25,
        low=0.1,
        high=0.5,
        unit="share per year",
        source="eFront drawdown data: buyout funds call 29 %, 20 %, 20 % of commitments in years "
        "1-3 (about 0.3 a year of what remains); Chinese guidance funds slower (idle-fund "
        "audits)",
        rule="agents.fund.step_quarter",
    )
    investee_max_age_years: float = param(
        10.0,
        low=5.0,
        high=15.0,
        unit="years",
        source="assumption; funds invest in young firms",
        rule="agents.fund.step_quarter",
    )
    investee_max_revenue_yuan: float = param(
        1.0e9,
        low=2.0e8,
        high=5.0e9,
        unit="yuan per year",
        source="assumption; funds invest in firms below this revenue",
        rule="agents.fund.step_quarter",
    )
    fund_rd_boost: float = param(
        0.15,
        low=0.0,
        high=0.4,
        unit="share of investment spent on R&D",
        source="prior range from the literature: no R&D rise after guidance-fund or VC entry in "
        "China (Kajitani et al. 2022 RIETI 22-E-110; Guo & Jiang 2013 J. Corp. Finance) to at "
        "most 0.4 (VC-backed start-ups spend under 70 % on wages and R&D, NVCA via Kauffman)",
        rule="agents.fund.step_quarter",
    )
    vc_reward_elasticity: float = param(
        0.6,
        low=0.0,
        high=1.5,
        unit="log deployment per unit of reward rate",
        source="Denes, Howell, Mezzanotti, Wang & Xu (2023) J. Finance 78(5): state angel tax "
        "credits of 25-35 % of the investment raise angel investment ~18 %: ln 1.18 / 0.3 = 0.6; "
        "professional VCs respond less (0)",
        rule="agents.fund.vc_deploy_multiplier",
    )
    fail_multiple: float = param(
        0.1,
        low=0.0,
        high=0.3,
        unit="multiple",
        source="Kerr et al. (2014): 55% at a loss",
        rule="agents.fund.exit_multiples",
    )
    ipo_multiple_pareto_shape: float = param(
        1.3,
        low=1.1,
        high=2.0,
        unit="Pareto shape",
        source="rows 25-28: top deals return most; IPO book multiple about 4x",
        rule="agents.fund.exit_multiples",
    )
    holding_years: float = param(
        7.0, low=5.0, high=10.0, unit="years", source="rows 27-28", rule="agents.fund.exits"
    )
    secondary_multiple: float = param(
        1.2,
        low=0.5,
        high=2.0,
        unit="multiple",
        source="rows 26, 28: transfers and buy-backs",
        rule="agents.fund.exit_multiples",
    )
    secondary_log_sd: float = param(
        0.5,
        low=0.2,
        high=1.0,
        unit="log multiple",
        source="assumption; spread of secondary-sale multiples (transfers, buy-backs)",
        rule="agents.fund.exit_multiples",
    )
    sub_fund_size_yuan: float = param(
        1.0e9,
        low=2.0e8,
        high=5.0e9,
        unit="yuan",
        source="assumption; target size of one sub-fund of the guidance fund",
        rule="agents.fund.step_year",
    )
    credit_default_rate: float = param(
        0.03,
        low=0.01,
        high=0.08,
        unit="probability per year",
        source="assumption; SME tech loans",
        rule="agents.fund.knowledge_credit",
    )
    loan_size_yuan: float = param(
        3.5e6,
        low=1.0e6,
        high=1.0e7,
        unit="yuan",
        source="Changsha 2024: 8.1e9 yuan of knowledge-value credit to 2,381 firms (3.4e6 per "
        "firm); Hunan 2025 2.5e6, Chongqing 2019 2.4e6; Hubei caps one loan at 1e7",
        rule="agents.fund.knowledge_credit",
    )
    management_fee: float = param(
        0.02,
        low=0.01,
        high=0.03,
        unit="share per year",
        source="industry norm",
        rule="agents.fund.step_year",
    )


class FundState(Population):
    """Columns of the fund population (all money in yuan, flows cumulative)."""

    schema = {
        "kind": np.int8,
        "cash": np.float64,
        "capital": np.float64,  # committed capital
        "public_share": np.float64,  # share of capital from the guidance fund
        "inflow": np.float64,
        "invested": np.float64,
        "proceeds": np.float64,
        "fees": np.float64,
        "distributed": np.float64,
        "deals": np.int32,
        "loans_out": np.float64,  # knowledge-value credit outstanding
    }


class Fund(RowAgent):
    """A fund: guidance fund, sub-fund, VC/angel fund or knowledge-value credit programme."""

    population_attr = "funds"
    state = FundState

    @property
    def kind_name(self) -> str:
        """Kind of fund."""
        return FUND_KINDS[self.kind]


class DealBook:
    """Open investments: fund row, firm row, amount and the year made."""

    def __init__(self) -> None:
        self.fund = np.empty(0, np.int64)
        self.firm = np.empty(0, np.int64)
        self.amount = np.empty(0, np.float64)
        self.year = np.empty(0, np.float64)

    def add(self, fund: np.ndarray, firm: np.ndarray, amount: np.ndarray, year: float) -> None:
        """Record new deals."""
        self.fund = np.concatenate([self.fund, fund])
        self.firm = np.concatenate([self.firm, firm])
        self.amount = np.concatenate([self.amount, amount])
        self.year = np.concatenate([self.year, np.full(len(fund), year)])

    def close(self, mask: np.ndarray) -> None:
        """Drop the deals selected by ``mask``."""
        keep = ~mask
        self.fund, self.firm = self.fund[keep], self.firm[keep]
        self.amount, self.year = self.amount[keep], self.year[keep]

    def __len__(self) -> int:
        return len(self.fund)


def exit_multiples(
    rng: np.random.Generator, listed: np.ndarray, dead: np.ndarray, matured: np.ndarray, p
) -> np.ndarray:
    """Multiple returned per deal: Pareto at listing, near zero at failure, lognormal when sold.

    Args:
        rng: Random generator.
        listed: Deals whose firm listed.
        dead: Deals whose firm exited.
        matured: Deals held longer than the holding period.
        p: Fund parameters.

    Returns:
        Multiple per deal (0 where the deal stays open). The secondary multiple is lognormal with
        mean ``secondary_multiple``.
    """
    n = len(listed)
    ipo = rng.pareto(p.ipo_multiple_pareto_shape, n) + 1.0
    sd = p.secondary_log_sd
    secondary = rng.lognormal(np.log(p.secondary_multiple) - 0.5 * sd**2, sd, n)
    return np.where(listed, ipo, np.where(dead, p.fail_multiple, np.where(matured, secondary, 0.0)))


def credit(
    funds: FundState, rows: np.ndarray | int, amount: np.ndarray | float, field: str
) -> None:
    """Add money to funds and to the matching cumulative flow column."""
    funds.cash[rows] += amount
    getattr(funds, field)[rows] += amount


def debit(funds: FundState, rows: np.ndarray | int, amount: np.ndarray | float, field: str) -> None:
    """Take money from funds and add it to the matching cumulative flow column."""
    funds.cash[rows] -= amount
    getattr(funds, field)[rows] += amount


def vc_deploy_multiplier(policy: PolicyView, p: FundParams) -> float:
    """Effect of the VC investment reward on how fast VC/angel funds invest locally.

    ``exp(vc_reward_elasticity * (r - r_ref))`` for the reward rate ``r`` in force and the
    base-year rate ``r_ref`` (1 under the base-year policy).
    """
    now = policy.levers.vc_investment_reward_rate * policy.scale("G")
    return float(
        np.exp(p.vc_reward_elasticity * (now - policy.reference.vc_investment_reward_rate))
    )


def step_quarter(
    funds: FundState,
    firms: FirmState,
    deals: DealBook,
    p: FundParams,
    rng: np.random.Generator,
    now: float,
    *,
    policy: PolicyView,
    ledger: CostLedger,
) -> None:
    """Funds with cash invest in young unlisted firms chosen by a noisy knowledge score.

    A deal puts ``fund_rd_boost`` of the ticket into the firm's award pool (spent on R&D).
    VC/angel funds invest faster under an investment reward (:func:`vc_deploy_multiplier`), and
    the reward is paid on their deals (lever G).

    Args:
        funds: The fund population.
        firms: The firm population.
        deals: Open deals.
        p: Fund parameters.
        rng: The funds' random stream.
        now: Current time in years (``year + (quarter - 1) / 4``).
        policy: Levers in force (the VC investment reward).
        ledger: Public cost ledger.
    """
    f = funds
    idx = f.live()
    investors = idx[np.isin(f.kind[idx], (SUB_FUND, VC))]
    is_vc = f.kind[investors] == VC
    deploy = p.deploy_share * np.where(is_vc, vc_deploy_multiplier(policy, p), 1.0)
    deploy = np.minimum(deploy, 1.0)
    n_deals = np.floor(f.cash[investors] * deploy / 4.0 / p.ticket_yuan).astype(np.int64)
    if n_deals.sum() == 0:
        return
    fi = firms.live()
    cand = fi[
        ~firms.listed[fi]
        & ~firms.fund_backed[fi]
        & (firms.age[fi] <= p.investee_max_age_years)
        & (firms.revenue[fi] <= p.investee_max_revenue_yuan)
    ]
    if len(cand) == 0:
        return
    score = np.log1p(firms.knowledge[cand]) + rng.gumbel(size=len(cand))
    picks = cand[np.argsort(-score, kind="stable")[: n_deals.sum()]]
    fund_rows = np.repeat(investors, n_deals)[: len(picks)]
    amount = np.full(len(picks), p.ticket_yuan)
    np.subtract.at(f.cash, fund_rows, amount)
    np.add.at(f.invested, fund_rows, amount)
    np.add.at(f.deals, fund_rows, 1)
    firms.fund_backed[picks] = True
    firms.award_pool[picks] += amount * p.fund_rd_boost
    deals.add(fund_rows, picks, amount, now)
    vc_invested = float(amount[f.kind[fund_rows] == VC].sum())
    rate = policy.levers.vc_investment_reward_rate * policy.scale("G")
    ledger.book("vc_investment_rewards", rate * vc_invested)


def step_year(
    funds: FundState,
    firms: FirmState,
    deals: DealBook,
    p: FundParams,
    rng: np.random.Generator,
    *,
    policy: PolicyView,
    ledger: CostLedger,
    year: int,
) -> None:
    """Government capital into the guidance fund and new sub-funds; exits; fees; credit (G).

    Args:
        funds: The fund population (row 0 is the guidance fund; one knowledge-credit row).
        firms: The firm population.
        deals: Open deals.
        p: Fund parameters.
        rng: The funds' random stream.
        policy: Levers in force.
        ledger: Public cost ledger.
        year: Current year.
    """
    f, lv = funds, policy.levers
    guidance = guidance_row(f)
    injection = policy.amount("guidance_fund_yuan_per_year", "G")
    injection *= ledger.book("guidance_fund_capital", injection)  # share granted under a cap
    credit(f, guidance, injection, "inflow")
    # Commit the guidance fund's cash to new sub-funds with private co-investment.
    public = f.cash[guidance]
    n_new = int(public * (1 + lv.subfund_private_ratio) // p.sub_fund_size_yuan)
    if n_new > 0:
        per_public = public / n_new
        private = per_public * lv.subfund_private_ratio
        debit(f, guidance, public, "invested")
        rows = f.append(n_new, kind=SUB_FUND, public_share=1.0 / (1.0 + lv.subfund_private_ratio))
        credit(f, rows, per_public + private, "inflow")
        f.capital[rows] = per_public + private
    exits(f, firms, deals, p, rng, ledger, year)
    # Management fees on committed capital.
    idx = f.live()
    managed = idx[np.isin(f.kind[idx], (SUB_FUND, VC))]
    fee = np.minimum(p.management_fee * f.capital[managed], np.maximum(f.cash[managed], 0.0))
    debit(f, managed, fee, "fees")
    knowledge_credit(f, firms, p, rng, policy, ledger)


def guidance_row(funds: FundState) -> int:
    """Row of the government guidance fund."""
    return int(np.flatnonzero(funds.kind == GUIDANCE)[0])


def credit_row(funds: FundState) -> int:
    """Row of the knowledge-value credit programme."""
    return int(np.flatnonzero(funds.kind == CREDIT)[0])


def exits(
    funds: FundState,
    firms: FirmState,
    deals: DealBook,
    p: FundParams,
    rng: np.random.Generator,
    ledger: CostLedger,
    year: int,
) -> None:
    """Deals end at listing, failure or after the holding period; sub-funds pass returns on.

    The public share of a sub-fund's proceeds returns to the guidance fund and is booked as a
    negative cost (``guidance_fund_returns``).
    """
    f, book = funds, deals
    if len(book) == 0:
        return
    listed = firms.listed[book.firm]
    dead = ~firms.alive[book.firm]
    matured = (year - book.year) >= p.holding_years
    mult = exit_multiples(rng, listed, dead, matured, p)
    done = listed | dead | matured
    proceeds = book.amount * mult * done
    rows = book.fund[done]
    cash = proceeds[done]
    np.add.at(f.cash, rows, cash)
    np.add.at(f.proceeds, rows, cash)
    # Sub-funds pass the public share back to the guidance fund and pay out the private share.
    sub = f.kind[rows] == SUB_FUND
    public = cash * f.public_share[rows] * sub
    private = cash * (1 - f.public_share[rows]) * sub
    np.subtract.at(f.cash, rows, public + private)
    np.add.at(f.distributed, rows, public + private)
    credit(f, guidance_row(f), float(public.sum()), "proceeds")
    ledger.book("guidance_fund_returns", -float(public.sum()))
    firms.fund_backed[book.firm[done]] = False
    book.close(done)


def knowledge_credit(
    funds: FundState,
    firms: FirmState,
    p: FundParams,
    rng: np.random.Generator,
    policy: PolicyView,
    ledger: CostLedger,
) -> None:
    """Yearly loans to tech SMEs; last year's loans are repaid less defaults, partly compensated."""
    f = funds
    row = credit_row(f)
    outstanding = f.loans_out[row]
    losses = outstanding * p.credit_default_rate
    compensation = losses * policy.levers.credit_risk_compensation_rate * policy.scale("G")
    compensation *= ledger.book("knowledge_credit_risk", compensation)  # share granted
    credit(f, row, outstanding - losses, "proceeds")
    credit(f, row, compensation, "inflow")
    f.loans_out[row] = 0.0
    volume = policy.amount("knowledge_credit_yuan_per_year", "G")
    top_up = max(volume - f.cash[row], 0.0)  # the bank's new lending line
    credit(f, row, top_up, "inflow")
    fi = firms.live()
    borrowers = fi[(firms.tech_sme[fi] | firms.high_tech[fi]) & ~firms.listed[fi]]
    n_loans = min(int(volume // p.loan_size_yuan), len(borrowers))
    if n_loans == 0:
        return
    chosen = rng.choice(borrowers, size=n_loans, replace=False)
    lent = n_loans * p.loan_size_yuan
    debit(f, row, lent, "invested")
    f.loans_out[row] = lent
    firms.award_pool[chosen] += p.loan_size_yuan * p.fund_rd_boost
