"""Judges hpcrs's answer to a case against numexpr's.

A case passes when both raise (the exception types and messages may
differ), or both answer arrays of the same shape and dtype whose values
agree within the test's tolerance, with NaNs in the same places (both parts
of complex numbers compared separately) and infinities equal.
"""

import dataclasses
import re
from typing import Optional

import numpy as np

from cases import Raised


@dataclasses.dataclass
class Difference:
    """Why a case fails: `reason` groups failures alike for the summary
    (no numbers, names or columns in it), `detail` says what differs in this
    case."""

    reason: str
    detail: str


def _first_line(text):
    return text.strip().splitlines()[0] if text.strip() else "(no message)"


def _generic(message):
    """An error message without what varies between cases of one cause:
    columns, shapes, numbers and the lists of inputs or known functions."""
    line = _first_line(message)
    line = re.sub(r" at column \d+", "", line)
    line = re.sub(r" \((inputs|known): [^)]*\)", "", line)
    if line.startswith("shape mismatch"):
        line = re.sub(r"`[^`]*`", "`..`", line)
    line = re.sub(r"\[[\d, ]*\]|\([\d, ]*\)", "[..]", line)
    line = re.sub(r"\b\d+\b", "N", line)
    return line


def _show(a, index):
    v = a[index] if a.ndim else a[()]
    return repr(v.item() if hasattr(v, "item") else v)


def _mismatch(got, want, tol):
    """The elements of `got` that do not agree with `want` (same shape)."""
    if got.dtype.kind in "biu" and want.dtype.kind in "biu":
        return got.astype(np.int64) != want.astype(np.int64)
    g = got.astype(np.complex128)
    w = want.astype(np.complex128)
    bad = np.zeros(got.shape, dtype=bool)
    for part in (np.real, np.imag):
        gp, wp = part(g), part(w)
        gnan, wnan = np.isnan(gp), np.isnan(wp)
        bad |= gnan != wnan
        both = ~gnan & ~wnan
        if tol.mode == "exact":
            close = gp == wp
        else:
            with np.errstate(all="ignore"):
                close = np.isclose(gp, wp, rtol=tol.rtol, atol=tol.atol)
        bad |= both & ~close
    return bad


def _values(got, want, tol):
    """How the values differ, or None when they agree."""
    bad = _mismatch(got, want, tol)
    if not bad.any():
        return None
    index = tuple(np.argwhere(bad)[0]) if bad.ndim else ()
    g, w = _show(got, index), _show(want, index)
    where = f" at {list(map(int, index))}" if index else ""
    return f"{int(bad.sum())} of {bad.size} values differ; first{where}: hpcrs {g}, numexpr {w}"


def _value_reason(got, want):
    """What kind of value difference: NaN where numexpr has a number, the
    other way round, or numbers apart."""
    if got.dtype.kind in "fc" or want.dtype.kind in "fc":
        g = got.astype(np.complex128)
        w = want.astype(np.complex128)
        gnan = np.isnan(g.real) | np.isnan(g.imag)
        wnan = np.isnan(w.real) | np.isnan(w.imag)
        if (gnan & ~wnan).any():
            return "wrong values: NaN where numexpr has a number"
        if (wnan & ~gnan).any():
            return "wrong values: a number where numexpr has NaN"
    return "wrong values: beyond the test's tolerance"


def judge(case, answer) -> Optional[Difference]:
    """None when hpcrs's `answer` agrees with numexpr's, else the difference."""
    unsupported = case.unsupported()
    if unsupported is not None:
        kind, detail = unsupported
        return Difference(f"input of a type hpcrs lacks: {kind}", detail)
    want = case.expected
    if answer.panicked:
        return Difference(f"hpcrs panics: {_generic(answer.error)}", f"panic: {_first_line(answer.error)}")
    if isinstance(want, Raised):
        if answer.error is not None:
            return None
        return Difference(
            f"hpcrs answers where numexpr raises {want.kind}",
            f"numexpr {want.describe()}; hpcrs gives {answer.array.dtype.name}{list(answer.array.shape)}",
        )
    if answer.error is not None:
        return Difference(
            f"hpcrs error: {_generic(answer.error)}",
            f"hpcrs: {_first_line(answer.error)}",
        )
    got = answer.array
    if got.shape != want.shape:
        return Difference(
            "shape differs",
            f"shape: hpcrs {list(got.shape)}, numexpr {list(want.shape)}",
        )
    if got.dtype != want.dtype:
        values = _values(got, want, case.tolerance)
        return Difference(
            f"dtype: hpcrs {got.dtype.name} where numexpr gives {want.dtype.name}",
            f"dtype: hpcrs {got.dtype.name}, numexpr {want.dtype.name}; "
            + (values if values else "values agree"),
        )
    values = _values(got, want, case.tolerance)
    if values is None:
        return None
    return Difference(_value_reason(got, want), values + f" (tolerance: {case.tolerance.describe()})")
