"""Published figures as text: ``">12000"``, ``"~6400"``, ``"3,400+"``, ``"130-239"``, ``"约1.2万"``.

The one parser of figures as a source printed them, shared by the observed files
(:mod:`sim.observations`) and the base-year data files (:mod:`sim.region`). The rule of
:func:`parse_published`:

- ``"3,400+"``, ``">300"``, ``">=13"``, ``"over 3 million"``, ``"8500余"``, ``"突破6600"``,
  ``"以上"``, ``"at least"``, ``"more than"`` -> **lower** bound: ``low = value``, ``high = +inf``;
- ``"<5"``, ``"<=5"``, ``"under"``, ``"below"``, ``"less than"``, ``"at most"``, ``"以下"``,
  ``"不足"`` -> **upper** bound: ``low = -inf``, ``high = value``;
- ``"130-239"`` (also ``–``, ``—``, ``~`` or ``to`` between two numbers) -> **range**
  ``[130, 239]``, ``value`` = midpoint;
- ``"~6400"``, ``"about"``, ``"around"``, ``"approx."``, ``"约"``, ``"左右"`` -> **range** of
  +-5 % (:data:`APPROX_SHARE`) around the number (:func:`published_form` calls it ``approx``);
- a plain number -> **exact** (``low = high = value``).

Thousands separators are dropped; the multipliers 万 (1e4), 亿 (1e8), thousand, million, billion
and trillion apply to the number they follow. Text without a number is refused.

This module imports nothing of the simulator, so every loader can use it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

FORMS = ("exact", "range", "approx", "lower", "upper")
"""Forms told apart by :func:`published_form` (``approx`` is a ``range`` of the parser)."""

APPROX_SHARE = 0.05
"""Half-width of the range given to an approximate figure ("~6400", "about"), as a share."""

_LOWER = (
    r"\+\s*$",
    r"^\s*(?:>=?|≥|＞)",
    r"\bover\b",
    r"\bmore than\b",
    r"\babove\b",
    r"\bat least\b",
    r"\bexceed",
    "余",
    "多",
    "突破",
    "超过",
    "超",
    "以上",
    "逾",
)
_UPPER = (
    r"^\s*(?:<=?|≤|＜)",
    r"\bunder\b",
    r"\bbelow\b",
    r"\bless than\b",
    r"\bat most\b",
    r"\bup to\b",
    "以下",
    "不足",
    "不到",
)
_APPROX = (
    r"^\s*[~～≈]",
    r"\babout\b",
    r"\baround\b",
    r"\bapprox",
    r"\bcirca\b",
    r"\bc\.\s",
    "约",
    "左右",
)
_MULTIPLIERS = {
    "万": 1e4,
    "亿": 1e8,
    "thousand": 1e3,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
}
_NUMBER = r"(\d+(?:\.\d+)?)"
_MULT = r"\s*(万|亿|thousand|million|billion|trillion)?"
_RANGE = re.compile(_NUMBER + _MULT + r"\s*(?:-|–|—|~|～|to|至|到)\s*" + _NUMBER + _MULT)
_ONE = re.compile(r"(-)?" + _NUMBER + _MULT)


@dataclass(frozen=True)
class Parsed:
    """An observation read from published text: central value, interval and kind."""

    value: float
    low: float
    high: float
    kind: str


def _has(patterns: Iterable[str], text: str) -> bool:
    return any(re.search(p, text, flags=re.IGNORECASE) for p in patterns)


def _normalise(text: str) -> str:
    text = str(text).strip()
    text = text.replace("，", ",").replace("．", ".")
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # thousands separators


def _number(digits: str, word: str | None) -> float:
    return float(digits) * _MULTIPLIERS.get((word or "").lower(), 1.0)


def parse_published(text: object, factor: float = 1.0) -> Parsed:
    """Read a published figure ("3,400+", ">300", "~6400", "130-239", "1.2万") into an interval.

    Args:
        text: The figure as published (see the module docstring for the rule).
        factor: Multiplies every number (converts the published unit to the KPI's unit).

    Returns:
        ``Parsed(value, low, high, kind)`` with ``kind`` one of ``exact``, ``range``, ``lower``,
        ``upper``; open ends are ``-inf`` / ``+inf``.

    Raises:
        ValueError: no number in the text, a reversed range, or both bound markers.
    """
    raw = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    norm = _normalise(raw)
    if not norm:
        raise ValueError("empty published value")
    rng = _RANGE.search(norm)
    if rng:
        a = _number(rng.group(1), rng.group(2) or rng.group(4)) * factor
        b = _number(rng.group(3), rng.group(4) or rng.group(2)) * factor
        if a > b:
            raise ValueError(f"range {raw!r} has its low end above its high end")
        return Parsed((a + b) / 2, a, b, "range")
    one = _ONE.search(norm)
    if not one:
        raise ValueError(f"no number in {raw!r}")
    sign = -1.0 if one.group(1) and one.start() == 0 else 1.0
    v = sign * _number(one.group(2), one.group(3)) * factor
    lower, upper = _has(_LOWER, norm), _has(_UPPER, norm)
    if lower and upper:
        raise ValueError(f"{raw!r} reads as both a lower and an upper bound")
    if lower:
        return Parsed(v, v, math.inf, "lower")
    if upper:
        return Parsed(v, -math.inf, v, "upper")
    if _has(_APPROX, norm):
        lo, hi = sorted((v * (1 - APPROX_SHARE), v * (1 + APPROX_SHARE)))
        return Parsed(v, lo, hi, "range")
    return Parsed(v, v, v, "exact")


def published_form(text: object) -> str:
    """The form of a published figure: ``exact``, ``range``, ``approx``, ``lower`` or ``upper``.

    Like :func:`parse_published`'s ``kind``, except that an approximate figure (``"~6400"``,
    ``"约"``) is ``approx`` rather than ``range``.

    Raises:
        ValueError: as :func:`parse_published`.
    """
    kind = parse_published(text).kind
    if kind == "range" and not _RANGE.search(_normalise(str(text))):
        return "approx"
    return kind
