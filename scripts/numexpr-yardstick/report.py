"""The yardstick's tables: pass rates by section, category and dtype, the
causes of failure with their counts, and every failing case."""

import collections


def _section(case):
    """`test_expressions`' section (OPERATIONS, 1_ARG_FUNCS...), or
    `targeted` for the other tests."""
    if case.test.startswith("test_expressions"):
        return "test_expressions " + case.category.split(" ", 1)[0]
    return "targeted tests"


def _rate(passed, total):
    return 100.0 * passed / total if total else 100.0


def _table(title, rows):
    """Rows of (label, passed, total) as aligned text."""
    width = max([len(title)] + [len(r[0]) for r in rows])
    lines = [f"{title:<{width}}  {'pass':>5} / {'cases':<5}  rate"]
    for label, passed, total in rows:
        lines.append(f"{label:<{width}}  {passed:>5} / {total:<5}  {_rate(passed, total):5.1f}%")
    return lines


def _grouped(cases, failed, key):
    totals = collections.Counter()
    passes = collections.Counter()
    for c in cases:
        k = key(c)
        totals[k] += 1
        if c.ident not in failed:
            passes[k] += 1
    return [(k, passes[k], totals[k]) for k in totals]


def summary_line(cases, failed):
    """`N of M cases pass (P%)`."""
    passed = len(cases) - len(failed)
    return f"{passed} of {len(cases)} cases pass ({_rate(passed, len(cases)):.1f}%)"


def tables(cases, failed):
    """The pass-rate tables and the causes of failure, as lines."""
    lines = []
    lines += _table("section", _grouped(cases, failed, _section))
    lines.append("")
    dtyped = [c for c in cases if c.dtype_label]
    lines += _table(
        "test_expressions by dtype", sorted(_grouped(dtyped, failed, lambda c: c.dtype_label))
    )
    lines.append("")
    reasons = collections.Counter(d.reason for d in failed.values())
    if reasons:
        width = max(len(r) for r in reasons)
        lines.append(f"{'cause of failure':<{width}}  cases")
        for reason, n in reasons.most_common():
            lines.append(f"{reason:<{width}}  {n:>5}")
        lines.append("")
    lines += _table("category", _grouped(cases, failed, lambda c: c.category))
    return lines


def failures(cases, failed):
    """Every failing case: where it comes from, what it is, what differs."""
    lines = []
    for c in cases:
        d = failed.get(c.ident)
        if d is None:
            continue
        lines.append(f"#{c.ident} {c.test}")
        lines.append(f"    {c.describe()}")
        lines.append(f"    {d.detail}")
    return lines
