r"""Cell suppression over linked tables, checked by the attacker's own integer program.

Several tables cut from the same records share cells: a province is the sum of its
districts, every grouping (district, province, sector, year) adds up to the department's
total, a district's indicator counts are at most its inspections. Blanking the small
cells of each table on its own is not enough: a province with one blanked district gives
it back by difference, and so does a total that is published elsewhere. The tables are
*linked* and must be protected together (Hundepool et al., *Statistical Disclosure
Control*, Wiley 2012, ch. 4, secondary cell suppression, linked tables and the audit of
a pattern, and ch. 5, frequency tables; de Wolf & Giessing, "Adjusting the τ-ARGUS
modular approach to deal with linked tables", *Data & Knowledge Engineering* 68, 2009;
R's ``sdcTable::protectLinkedTables`` and its ``attack``).

:class:`LinkedCells` collects every cell a role receives, its true value, and every linear
relation an attacker knows between cells (sums, "at most", and that a blank cell is not
zero: zeros are always shown). :func:`suppress_linked` then

1. blanks every count from 1 to ``k - 1`` (primary suppression), and a cell that makes a
   sensitive difference exact (the men among victims when the women are shown);
2. adds secondary suppressions sum by sum, bottom-up (districts within a province, the
   provinces, the sectors, the years within the department), until every sum that holds
   blank cells holds at least two whose values can move by ``k - 2`` together — a shown
   part of a blank sum opens it too; where nothing is left to add it blanks the sum
   itself (a province, a department's total), and as a last resort every count of that
   column of the table;
3. **audits** the result with the attacker's integer program over all relations at once
   (:class:`Audit`, ``scipy.optimize.milp``): for each blank it looks for values of all
   blanks, consistent with everything published, that move that blank by at least
   ``k - 2`` — the width of the interval 1..k-1 a blank already admits. A blank that
   cannot move that far gets another suppression next to it, and the audit runs again.

Zeros are always shown (they reveal nobody), so an attacker knows that every blank is at
least 1; the audit knows it too.

The audit is the proof: a cell it passes has two integer solutions of every published
relation whose values differ by at least ``k - 2``, so no attacker using those relations
narrows it to fewer than ``k - 1`` values (the protection interval of Hundepool et al.,
ch. 4). Adding suppression only widens every feasible set, so a cell once certified
stays certified while the loop goes on.

Examples
--------
A province of 9 with districts 1, 3 and 5, the province published: the 1 and the 3 are
blank (primary); together they can only move by 2, so the 5 goes too.

>>> cells = LinkedCells()
>>> d = [cells.add(("d", i), v, group="d") for i, v in enumerate([1, 3, 5])]
>>> p = cells.add(("p",), 9, public=True)
>>> cells.add_sum(d, p)
>>> suppress_linked(cells, 5).tolist()
[True, True, True, False]
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

__all__ = ["Audit", "LinkedCells", "SuppressionReport", "protection_width", "suppress_linked"]

#: An upper bound for any cell in the audit's programs (counts of a department).
_BIG = 1e6


def protection_width(threshold: int) -> int:
    """How far every blank must be able to move: the width of 1..k-1 (at least 1).

    >>> protection_width(5), protection_width(2)
    (3, 1)
    """
    return max(int(threshold) - 2, 1)


@dataclass
class SuppressionReport:
    """What :func:`suppress_linked` did (kept on ``LinkedCells.report``)."""

    primary: int = 0
    hidden: int = 0
    blank_groups: list = field(default_factory=list)
    audit_rounds: int = 0
    solves: int = 0
    seconds: float = 0.0


class LinkedCells:
    """Cells of linked tables, their true values, and the relations an attacker knows.

    ``add`` a cell (a key of your choice, its value, the table column it belongs to as
    ``group``; ``public`` for a cell the attacker is assumed to know whether or not it is
    shown, such as a department's total), then the relations: ``add_sum`` (the kids add up
    to the parent), ``at_most`` (a sum of terms is at most 0), and ``sensitive`` (a
    difference such as victims minus women that must not come out exact when small).
    """

    def __init__(self) -> None:
        self.keys: list[Hashable] = []
        self.index: dict[Hashable, int] = {}
        self.values: list[int] = []
        self.public: list[bool] = []
        self.groups: list[Hashable | None] = []
        self.relations: list[tuple[np.ndarray, np.ndarray, bool]] = []  # (idx, coef, equal)
        self.sums: list[tuple[int, np.ndarray]] = []  # (parent or -1, kids)
        self.sensitive_terms: list[tuple[np.ndarray, np.ndarray, int, int]] = []
        self.below: dict[Hashable, list[Hashable]] = {}
        self.report = SuppressionReport()

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: Hashable, value: float, *, group: Hashable | None = None,
            public: bool = False) -> int:
        """Add a cell (once per key) and return its index."""
        if key in self.index:
            return self.index[key]
        i = len(self.keys)
        self.keys.append(key)
        self.index[key] = i
        self.values.append(int(round(float(value))) if np.isfinite(float(value)) else 0)
        self.public.append(bool(public))
        self.groups.append(group)
        return i

    def add_sum(self, kids: Sequence[int], parent: int | None = None,
                rest: Iterable[tuple[int, float]] = ()) -> None:
        """Relate cells ``kids`` that add up to ``parent``: ``sum(kids) = parent - rest``.

        Without a parent the right-hand side is ``-rest`` (terms of cells assumed known).
        """
        terms = [(k, 1.0) for k in kids] + list(rest)
        if parent is not None:
            terms.append((parent, -1.0))
        self._relation(terms, equal=True)
        self.sums.append((-1 if parent is None else int(parent), np.asarray(kids, dtype=int)))

    def at_most(self, terms: Iterable[tuple[int, float]]) -> None:
        """``sum(coef * cell) <= 0``."""
        self._relation(list(terms), equal=False)

    def sensitive(self, terms: Iterable[tuple[int, float]], hide: int) -> None:
        """Protect a derived count (``sum(coef * cell)``) like a cell when it is 1..k-1.

        ``hide`` is the cell blanked when every term would be shown.
        """
        terms = list(terms)
        idx = np.array([t[0] for t in terms], dtype=int)
        coef = np.array([t[1] for t in terms], dtype=float)
        value = int(round(float(coef @ np.asarray(self.values, dtype=float)[idx])))
        self.sensitive_terms.append((idx, coef, value, int(hide)))

    def blank_with(self, group: Hashable, below: Iterable[Hashable]) -> None:
        """Blanking all of ``group`` blanks the groups ``below`` too (its parts)."""
        self.below.setdefault(group, []).extend(below)

    def _relation(self, terms: list[tuple[int, float]], equal: bool) -> None:
        merged: dict[int, float] = {}
        for i, c in terms:
            merged[int(i)] = merged.get(int(i), 0.0) + float(c)
        idx = np.array([i for i, c in merged.items() if c], dtype=int)
        coef = np.array([merged[i] for i in idx], dtype=float)
        self.relations.append((idx, coef, equal))


def suppress_linked(cells: LinkedCells, threshold: int, *, forced: Iterable[int] = (),
                    seed: int = 0) -> np.ndarray:
    """Return which cells to blank (True) so that no blank is narrower than ``k - 2``.

    Parameters
    ----------
    cells : LinkedCells
    threshold : int
        ``k``: counts from 1 to ``k - 1`` are blanked; every blank must keep a feasible
        interval of width :func:`protection_width` under all relations together.
    forced : iterable of int
        Cells blanked whatever their value.
    seed : int
        For the audit's random search directions (the result is checked either way).

    Returns
    -------
    ndarray of bool
        ``cells.report`` says what was done.
    """
    start = time.perf_counter()
    v = np.asarray(cells.values, dtype=np.int64)
    public = np.asarray(cells.public, dtype=bool)
    hidden = (v > 0) & (v < threshold) & ~public
    for i in forced:
        hidden[int(i)] |= v[int(i)] > 0  # a zero reveals nobody: shown
    for idx, _coef, value, hide in cells.sensitive_terms:
        if 0 < value < threshold and not hidden[idx].any():
            hidden[hide] = True
    lower = np.ones(len(v), dtype=np.int64)  # a blank is never a zero
    report = SuppressionReport(primary=int(hidden.sum()))
    width = protection_width(threshold)
    state = _State(cells, v, public, hidden, lower, width, report)
    state.secondary()
    for _round in range(60):
        report.audit_rounds += 1
        audit = Audit(cells, state.hidden, state.lower, threshold, seed=seed + _round)
        fails = audit.failures()
        report.solves += audit.solves
        if not fails:
            break
        if not state.repair(audit, fails):
            raise RuntimeError("secondary suppression could not protect every cell")
    else:  # pragma: no cover - the loop always adds a cell or stops
        raise RuntimeError("secondary suppression did not converge")
    report.hidden = int(state.hidden.sum())
    report.seconds = time.perf_counter() - start
    cells.report = report
    return state.hidden


class _State:
    """The suppression pattern while it is built (heuristic and repairs)."""

    def __init__(self, cells, v, public, hidden, lower, width, report) -> None:
        self.cells, self.v, self.public = cells, v, public
        self.hidden, self.lower, self.width, self.report = hidden, lower, width, report
        self.kids_of: dict[int, np.ndarray] = {}
        for parent, kids in cells.sums:
            if parent >= 0:
                self.kids_of[parent] = np.concatenate([self.kids_of.get(parent, kids[:0]),
                                                       kids])
        groups = np.array([str(g) if g is not None else "" for g in cells.groups])
        self.members = {g: np.flatnonzero(groups == str(g))
                        for g in set(cells.groups) if g is not None}
        self.rels_of: dict[int, list[int]] = {}
        for r, (idx, _coef, _equal) in enumerate(cells.relations):
            for i in idx:
                self.rels_of.setdefault(int(i), []).append(r)
        self.sums_of: dict[int, list[int]] = {}
        for s, (parent, kids) in enumerate(cells.sums):
            for i in (*kids.tolist(), *([parent] if parent >= 0 else [])):
                self.sums_of.setdefault(int(i), []).append(s)

    # -- the heuristic -----------------------------------------------------------------
    def effective_lower(self) -> np.ndarray:
        """Return what an attacker knows at least of each cell: its value, or its parts' sum."""
        low = np.where(self.hidden, self.lower, self.v)
        for parent, kids in self.cells.sums:  # kids' sums are listed before their parents'
            if parent >= 0 and self.hidden[parent]:
                low[parent] = max(low[parent], int(np.where(self.hidden[kids], low[kids],
                                                            self.v[kids]).sum()))
        return low

    def secondary(self) -> None:
        changed = True
        while changed:
            changed = False
            for s, (parent, _kids) in enumerate(self.cells.sums):
                if parent >= 0 and self.hidden[parent]:
                    continue  # the sum is free: its parent's own sum protects it
                done = self.protect_sum(s, self.width)
                if done is None:
                    changed |= self.give_up(s)
                else:
                    changed |= done

    def protect_sum(self, s: int, need_total: int) -> bool | None:
        """Blank cells of sum ``s`` until two or more blanks can move ``need_total``.

        Returns whether it changed anything, None when nothing is left to blank.
        """
        parent, kids = self.cells.sums[s]
        changed = False
        for _ in range(len(kids) + 2):
            low = self.effective_lower()
            blank = kids[self.hidden[kids]]
            if not len(blank):
                return changed
            slack = int((self.v[blank] - low[blank]).sum())
            if len(blank) >= 2 and slack >= need_total:
                return changed
            options = self.options(kids, blank)
            if len(blank) < 2:
                options = [o for o in options if o[2]]
            if not options or max(o[1] for o in options) <= 0 and len(blank) >= 2:
                return None
            need = need_total - slack
            enough = [o for o in options if o[1] >= need]
            pick = (min(enough, key=lambda o: o[3]) if enough
                    else max(options, key=lambda o: (o[1], -o[3])))
            self.hidden[pick[0]] = True
            changed = True
        return changed

    def slack(self, s: int) -> int:
        """How far the blanks of sum ``s`` can move together (their values above what is known)."""
        _parent, kids = self.cells.sums[s]
        low = self.effective_lower()
        blank = kids[self.hidden[kids]]
        return int((self.v[blank] - low[blank]).sum())

    def options(self, kids: np.ndarray, blank: np.ndarray) -> list:
        """Ways to add room to a sum: ``(cells, room gained, adds a blank kid, value)``."""
        v, hidden, public = self.v, self.hidden, self.public
        out = []
        for kid in kids[~hidden[kids] & (v[kids] > 0) & ~public[kids]]:
            below = self.kids_of.get(int(kid))
            if below is None:
                out.append(([kid], int(v[kid] - self.lower[kid]), True, int(v[kid])))
                continue
            inner = below[~hidden[below] & (v[below] > 0) & ~public[below]]
            if len(inner):  # a shown sum opens only with a part of it
                g = inner[np.argmin(v[inner])]
                out.append(([kid, g], int(v[g] - 1), True, int(v[kid] + v[g])))
            else:
                out.append(([kid], 0, True, int(v[kid])))
        for kid in blank:
            below = self.kids_of.get(int(kid))
            if below is None:
                continue
            for g in below[~hidden[below] & (v[below] > 0) & ~public[below]]:
                out.append(([g], int(v[g] - 1), False, int(v[g])))
        return out

    def give_up(self, s: int) -> bool:
        """Nothing left to blank in sum ``s``: blank its parent, else its whole column."""
        parent, kids = self.cells.sums[s]
        if parent >= 0 and not self.public[parent] and not self.hidden[parent]:
            self.hidden[parent] = True
            return True
        group = self.cells.groups[int(kids[0])]
        return self.blank_group(group)

    def blank_group(self, group) -> bool:
        """Blank every count of ``group`` (and of the groups below it); zeros stay shown."""
        if group is None:
            return False
        changed = False
        for g in (group, *self.cells.below.get(group, [])):
            m = self.members.get(g, np.array([], dtype=int))
            m = m[(self.v[m] > 0) & ~self.public[m] & ~self.hidden[m]]
            if len(m):
                self.hidden[m] = True
                changed = True
                self.report.blank_groups.append(g)
        return changed

    # -- repairs after the audit --------------------------------------------------------
    def repair(self, audit: Audit, fails: list[int]) -> bool:
        """Add suppression around each failing blank; False when nothing could be added.

        In order: more room in a sum the blank belongs to (a sibling, or a part of a
        blank sibling); else blank a shown cell that bounds it or a blank it moves with
        (a row's inspections, a route's victims); else its sum's parent or its column;
        else, as a last resort, every count of the department.
        """
        changed = False
        touched: set[int] = set()
        for t in fails:
            near = audit.target_cells(t)
            sums = sorted({s for c in near for s in self.sums_of.get(int(c), [])})
            if any(s in touched for s in sums):
                continue  # one addition per sum and round: the audit decides again
            if self.repair_one(near, sums):
                touched.update(sums)
                changed = True
        return changed

    def repair_one(self, near: np.ndarray, sums: list[int]) -> bool:
        """Add one suppression for a failing blank made of cells ``near`` (in ``sums``)."""
        free = [s for s in sums if not (self.cells.sums[s][0] >= 0
                                        and self.hidden[self.cells.sums[s][0]])]
        # its sums have room enough already: what holds the blank is a bound (a row's
        # inspections, a route's victims), so that is what to open first
        bound_first = all(self.slack(s) >= self.width for s in free)
        if bound_first and self.open_bound(near, sums):
            return True
        for s in free:
            if self.protect_sum(s, self.slack(s) + 1):
                return True
        if not bound_first and self.open_bound(near, sums):
            return True
        for s in sums:
            if self.give_up(s):
                return True
        return self.blank_rows(near) or self.blank_everything()

    def open_bound(self, near: np.ndarray, sums: list[int]) -> bool:
        """Blank the smallest shown cell in a relation with the blank or its blank siblings."""
        around = set(int(c) for c in near)
        for s in sums:
            parent, kids = self.cells.sums[s]
            around.update(int(k) for k in kids[self.hidden[kids]])
        shown: set[int] = set()
        for c in around:
            for r in self.rels_of.get(c, []):
                idx = self.cells.relations[r][0]
                shown.update(int(i) for i in idx[~self.hidden[idx] & (self.v[idx] > 0)
                                                  & ~self.public[idx]])
        if not shown:
            return False
        pick = min(shown, key=lambda i: (self.v[i], i))
        self.hidden[pick] = True
        return True

    def blank_rows(self, near: np.ndarray) -> bool:
        """Blank the columns of the cells of a failing blank."""
        for c in near:
            if self.blank_group(self.cells.groups[int(c)]):
                return True
        return False

    def blank_everything(self) -> bool:
        """Last resort: blank every count but the zeros and the cells taken as known."""
        rest = ~self.hidden & (self.v > 0) & ~self.public
        self.hidden |= rest
        self.report.blank_groups.append("todo")
        return bool(rest.any())


class Audit:
    """The attacker's integer program over every blank, given everything shown.

    Variables: the blank cells (integers, at least 1: a blank is never a zero); constraints:
    every relation of :class:`LinkedCells` with the shown cells as constants. Targets:
    each blank and each sensitive difference. :meth:`failures` certifies targets with
    integer solutions — a few random directions first, each moving many blanks at once,
    then the minimum and the maximum of each target still narrow — and returns those whose
    exact range is narrower than :func:`protection_width`. Each program is solved as a
    linear one first (scipy's HiGHS): sums and bounds give whole-number vertices, and a
    whole-number vertex is an integer solution; otherwise ``scipy.optimize.milp``.
    """

    def __init__(self, cells: LinkedCells, hidden: np.ndarray, lower: np.ndarray,
                 threshold: int, seed: int = 0) -> None:
        self.need = protection_width(threshold)
        self.rng = np.random.default_rng(seed)
        v = np.asarray(cells.values, dtype=float)
        self.cells_idx = np.flatnonzero(hidden)
        pos = -np.ones(len(v), dtype=int)
        pos[self.cells_idx] = np.arange(len(self.cells_idx))
        data, ri, ci, lo, hi = [], [], [], [], []
        for idx, coef, equal in cells.relations:
            m = hidden[idx]
            if not m.any():
                continue
            const = -float(coef[~m] @ v[idx[~m]])
            r = len(lo)
            data.extend(coef[m])
            ri.extend([r] * int(m.sum()))
            ci.extend(pos[idx[m]])
            lo.append(const if equal else -np.inf)
            hi.append(const)
        n = len(self.cells_idx)
        self.A = sparse.csr_array((data, (ri, ci)), shape=(len(lo), n))
        self.lo, self.hi = np.asarray(lo, float), np.asarray(hi, float)
        self.lb = np.asarray(lower, float)[self.cells_idx]
        self.x0 = v[self.cells_idx]
        rows, cols, vals, truth, self.hides = [], [], [], [], []
        for t, i in enumerate(self.cells_idx):
            rows.append(t)
            cols.append(t)
            vals.append(1.0)
            truth.append(v[i])
            self.hides.append(int(i))
        for idx, coef, value, hide in cells.sensitive_terms:
            if not 0 < value < threshold:
                continue
            t = len(truth)
            m = hidden[idx]
            rows.extend([t] * int(m.sum()))
            cols.extend(pos[idx[m]])
            vals.extend(coef[m])
            truth.append(float(value))
            self.hides.append(-1 - int(hide))
        self.E = sparse.csr_array((vals, (rows, cols)), shape=(len(truth), n))
        self.truth = np.asarray(truth, float)
        self.offset = self.truth - self.E @ self.x0
        self.low, self.high = self.truth.copy(), self.truth.copy()
        self.solves = 0

    # -- answers ---------------------------------------------------------------------------
    def open(self) -> np.ndarray:
        """Targets not yet seen to move by the protection width."""
        return np.flatnonzero(self.high - self.low < self.need - 1e-9)

    def width(self, t: int) -> float:
        """Return the widest range of target ``t`` seen so far (exact for a failure)."""
        return float(self.high[t] - self.low[t])

    def target_cells(self, t: int) -> np.ndarray:
        """Return the cells target ``t`` is made of (a blank, or a difference's cells)."""
        cols = self.E[[t]].indices
        if len(cols):
            return self.cells_idx[cols]
        h = self.hides[t]
        return np.array([h if h >= 0 else -1 - h])

    # -- the search ------------------------------------------------------------------------
    def failures(self) -> list[int]:
        """Return the targets whose feasible interval is narrower than the protection width."""
        if not len(self.truth):
            return []
        for _ in range(30):
            before = len(self.open())
            if not before:
                return []
            self._batch()
            if before - len(self.open()) < max(2, before // 50):
                break
        fails = []
        for t in self.open():
            if self.high[t] - self.low[t] >= self.need:
                continue
            e = self.E[[t]].toarray()[0]
            if e.any():
                # first the way it has room to go: up from its lower bound, else down
                up_first = t < len(self.cells_idx) and self.x0[t] - self.lb[t] < self.need
                for sign in ((-1.0, 1.0) if up_first else (1.0, -1.0)):
                    if self.high[t] - self.low[t] < self.need:
                        self._solve(sign * e)
            if self.high[t] - self.low[t] < self.need:
                fails.append(int(t))
        return fails

    def _batch(self) -> None:
        """Push every open target one random way at once (blanks at 1 only up, or free)."""
        op = self.open()
        sign = self.rng.choice([-1.0, 1.0], len(op))
        at_low = np.zeros(len(op), dtype=bool)
        cell_targets = op < len(self.cells_idx)
        at_low[cell_targets] = self.x0[op[cell_targets]] <= self.lb[op[cell_targets]]
        sign[at_low] = self.rng.choice([-1.0, 0.0], int(at_low.sum()))
        self._solve(sign @ self.E[op].toarray())

    def _solve(self, c: np.ndarray) -> None:
        """Minimise ``c @ x`` over the integer points; widen every target's seen range."""
        self.solves += 1
        A, lo, hi, lb = self.A, self.lo, self.hi, self.lb
        n = A.shape[1]
        # the linear relaxation first: its vertices are mostly whole numbers here (sums and
        # bounds), and a whole-number vertex is a solution of the integer program too
        eq = lo == hi
        res = linprog(c, A_ub=sparse.vstack([A[~eq], -A[~eq & np.isfinite(lo)]]) if (~eq).any()
                      else None,
                      b_ub=np.concatenate([hi[~eq], -lo[~eq & np.isfinite(lo)]]) if (~eq).any()
                      else None,
                      A_eq=A[eq] if eq.any() else None, b_eq=hi[eq] if eq.any() else None,
                      bounds=np.column_stack([lb, np.full(n, _BIG)]), method="highs")
        if res.status != 0 or np.abs(res.x - np.round(res.x)).max() > 1e-7:
            res = milp(c, constraints=[LinearConstraint(A, lo, hi)] if A.shape[0] else None,
                       integrality=np.ones(n), bounds=Bounds(lb, np.full(n, _BIG)))
            if res.status != 0 or res.x is None:  # pragma: no cover - the truth is a solution
                raise RuntimeError(f"the audit's program has no solution: {res.message}")
        values = self.E @ np.round(res.x) + self.offset
        np.minimum(self.low, values, out=self.low)
        np.maximum(self.high, values, out=self.high)
