"""Several strategies in one backtest, each with a share of the capital.

>>> py_rt.Backtest(data, [
...     py_rt.Allocation(Momentum, 0.6, symbols=["NVDA"], params={"n": 20}),
...     py_rt.Allocation(EqualWeight, 0.4),
... ]).run()

Each strategy gets a sleeve of the account: it starts with its share of
the starting cash, sees only its own cash, equity and positions in its
``ctx``, and a cash account refuses orders its sleeve cannot pay for or
sells it does not hold (the sleeves share one venue and one set of risk
limits). ``symbols`` limits a strategy to some instruments: it sees only
their bars and may trade only them. Shares that add up to less than 1
leave the rest as cash. ``Result.strategies`` reports each strategy and
the account, ``Result.strategy_equity`` their equity curves.

The seed's configuration form works too: a list of dicts with ``id``,
``allocation``, ``symbols`` and ``parameters`` (and ``strategy``, the
class).
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .strategy import Strategy, instantiate, overridden_hooks


@dataclass(frozen=True)
class Allocation:
    """One strategy of a multi-strategy backtest: the strategy (a
    :class:`py_rt.Strategy` subclass or instance), its share of the
    starting cash (0 < share ≤ 1), the symbols it trades (all when None),
    its parameters and its name in the report (the class name when None)."""

    strategy: type[Strategy] | Strategy
    share: float
    symbols: Sequence[str] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None


def allocations(spec: Sequence[Any]) -> list[Allocation]:
    """`spec` (Allocations, or the seed's dicts) checked: shares in (0, 1]
    adding up to at most 1, names unique."""
    out: list[Allocation] = []
    for i, item in enumerate(spec):
        if isinstance(item, Mapping):
            unknown = set(item) - {"strategy", "allocation", "symbols", "parameters", "params", "id"}
            if unknown or "strategy" not in item or "allocation" not in item:
                raise ValueError(f"strategy {i}: expected keys strategy, allocation and optionally symbols, "
                                 f"parameters, id; got {sorted(item)}")
            item = Allocation(item["strategy"], item["allocation"], item.get("symbols"),
                              item.get("parameters", item.get("params", {})), item.get("id"))
        if not isinstance(item, Allocation):
            raise TypeError(f"strategy {i}: expected a py_rt.Allocation or a dict, got {type(item).__name__}")
        if isinstance(item.strategy, str) or not (isinstance(item.strategy, Strategy) or (
                isinstance(item.strategy, type) and issubclass(item.strategy, Strategy))):
            raise TypeError(f"strategy {i}: allocations take py_rt.Strategy subclasses, got {item.strategy!r}")
        if isinstance(item.share, bool) or not isinstance(item.share, (int, float)) or not 0 < item.share <= 1:
            raise ValueError(f"strategy {i}: share must be a fraction of the cash in (0, 1], got {item.share!r}")
        out.append(item)
    if not out:
        raise ValueError("no strategies: give at least one allocation")
    total = sum(decimal.Decimal(repr(float(a.share))) for a in out)
    if total > 1:
        raise ValueError(f"the allocations add up to {total} of the cash; they may add up to at most 1")
    names = [name_of(a) for a in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"two strategies are named {dupes[0]}; give each allocation a distinct name=")
    return out


def name_of(a: Allocation) -> str:
    if a.name is not None:
        return str(a.name)
    cls = a.strategy if isinstance(a.strategy, type) else type(a.strategy)
    return cls.__name__


def members(allocs: list[Allocation], cash: str) -> tuple[list[dict], list[str]]:
    """The engine's view: one dict per strategy (instance, callbacks,
    capital as exact decimal text, symbols), and their names."""
    out = []
    for a in allocs:
        obj = instantiate(a.strategy, dict(a.params))
        capital = decimal.Decimal(cash) * decimal.Decimal(repr(float(a.share)))
        out.append({"strategy": obj, "hooks": overridden_hooks(obj), "capital": str(capital),
                    "symbols": list(a.symbols) if a.symbols is not None else None})
    return out, [name_of(a) for a in allocs]
