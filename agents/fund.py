"""Funds: the government guidance fund, its sub-funds, VC/angel funds and knowledge-value credit.

Every fund keeps cumulative cash flows so its balance can be audited:
``cash = inflow - invested + proceeds - fees - distributed`` at all times.
Deals are kept in a :class:`DealBook`; outcomes are skewed (most fail, a few listings return
many times the ticket) and proceeds are recycled into the fund's cash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.categories import FUND_KINDS
from agents.population import Population, RowAgent

if TYPE_CHECKING:
    from sim.model import InnovationModel

GUIDANCE, SUB_FUND, VC, CREDIT = range(len(FUND_KINDS))
SUB_FUND_SIZE_YUAN = 1.0e9  # target size of one sub-fund (assumption, documented in docs/model.md)
LOAN_SIZE_YUAN = 5.0e6  # typical knowledge-value loan (assumption)


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
    """Multiple returned per deal: Pareto at listing, near zero at failure, ~1x on secondary exits.

    Args:
        rng: Random generator.
        listed: Deals whose firm listed.
        dead: Deals whose firm exited.
        matured: Deals held longer than the holding period.
        p: Fund behaviour parameters.

    Returns:
        Multiple per deal (0 where the deal stays open).
    """
    n = len(listed)
    ipo = rng.pareto(p.ipo_multiple_pareto_shape, n) + 1.0
    secondary = rng.lognormal(np.log(p.secondary_multiple) - 0.125, 0.5, n)
    return np.where(listed, ipo, np.where(dead, p.fail_multiple, np.where(matured, secondary, 0.0)))


def credit(
    model: InnovationModel, rows: np.ndarray | int, amount: np.ndarray | float, field: str
) -> None:
    """Add money to funds and to the matching cumulative flow column."""
    f = model.funds
    f.cash[rows] += amount
    getattr(f, field)[rows] += amount


def debit(
    model: InnovationModel, rows: np.ndarray | int, amount: np.ndarray | float, field: str
) -> None:
    """Take money from funds and add it to the matching cumulative flow column."""
    f = model.funds
    f.cash[rows] -= amount
    getattr(f, field)[rows] += amount


def step_quarter(model: InnovationModel) -> None:
    """Funds with cash invest in young unlisted firms chosen by a noisy knowledge score."""
    f, firms, p, rng = model.funds, model.firms, model.behaviour.fund, model.streams.fund
    idx = f.live()
    investors = idx[np.isin(f.kind[idx], (SUB_FUND, VC))]
    n_deals = np.floor(f.cash[investors] * p.deploy_share / 4.0 / p.ticket_yuan).astype(np.int64)
    if n_deals.sum() == 0:
        return
    fi = firms.live()
    cand = fi[
        ~firms.listed[fi]
        & ~firms.fund_backed[fi]
        & (firms.age[fi] <= 10)
        & (firms.revenue[fi] <= 1e9)
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
    firms.award_pool[picks] += amount * model.behaviour.firm.fund_rd_boost
    model.deals.add(fund_rows, picks, amount, model.year + (model.quarter - 1) / 4)


def step_year(model: InnovationModel) -> None:
    """Government capital into the guidance fund and new sub-funds; exits; fees; credit."""
    f, p, rng, lv = model.funds, model.behaviour.fund, model.streams.fund, model.policy.levers
    guidance = model.guidance_fund_row
    injection = model.policy.amount("guidance_fund_yuan_per_year", "G")
    model.gov.book("guidance_fund_capital", injection)
    credit(model, guidance, injection, "inflow")
    # Commit the guidance fund's cash to new sub-funds with private co-investment.
    public = f.cash[guidance]
    n_new = int(public * (1 + lv.subfund_private_ratio) // SUB_FUND_SIZE_YUAN)
    if n_new > 0:
        per_public = public / n_new
        private = per_public * lv.subfund_private_ratio
        rows = f.append(n_new, kind=SUB_FUND, public_share=1.0 / (1.0 + lv.subfund_private_ratio))
        debit(model, guidance, public, "invested")
        credit(model, rows, per_public + private, "inflow")
        f.capital[rows] = per_public + private
        model.create_fund_agents(rows)
    _exits(model, p, rng)
    # Management fees on committed capital.
    idx = f.live()
    managed = idx[np.isin(f.kind[idx], (SUB_FUND, VC))]
    fee = np.minimum(p.management_fee * f.capital[managed], np.maximum(f.cash[managed], 0.0))
    debit(model, managed, fee, "fees")
    _knowledge_credit(model, p, rng)


def _exits(model: InnovationModel, p, rng: np.random.Generator) -> None:
    f, firms, book = model.funds, model.firms, model.deals
    if len(book) == 0:
        return
    listed = firms.listed[book.firm]
    dead = ~firms.alive[book.firm]
    matured = (model.year - book.year) >= p.holding_years
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
    credit(model, model.guidance_fund_row, float(public.sum()), "proceeds")
    model.gov.book("guidance_fund_returns", -float(public.sum()))
    firms.fund_backed[book.firm[done]] = False
    book.close(done)


def _knowledge_credit(model: InnovationModel, p, rng: np.random.Generator) -> None:
    """Yearly loans to tech SMEs; last year's loans are repaid less defaults, partly compensated."""
    f, firms = model.funds, model.firms
    row = model.credit_row
    outstanding = f.loans_out[row]
    losses = outstanding * p.credit_default_rate
    compensation = (
        losses * model.policy.levers.credit_risk_compensation_rate * model.policy.scale("G")
    )
    model.gov.book("knowledge_credit_risk", compensation)
    credit(model, row, outstanding - losses, "proceeds")
    credit(model, row, compensation, "inflow")
    f.loans_out[row] = 0.0
    volume = model.policy.amount("knowledge_credit_yuan_per_year", "G")
    top_up = max(volume - f.cash[row], 0.0)  # the bank's new lending line
    credit(model, row, top_up, "inflow")
    fi = firms.live()
    borrowers = fi[(firms.tech_sme[fi] | firms.high_tech[fi]) & ~firms.listed[fi]]
    n_loans = min(int(volume // LOAN_SIZE_YUAN), len(borrowers))
    if n_loans == 0:
        return
    chosen = rng.choice(borrowers, size=n_loans, replace=False)
    lent = n_loans * LOAN_SIZE_YUAN
    debit(model, row, lent, "invested")
    f.loans_out[row] = lent
    firms.award_pool[chosen] += LOAN_SIZE_YUAN * model.behaviour.firm.fund_rd_boost
