#!/usr/bin/env python3
"""numexpr's own test suite as the yardstick of hpcrs's expression engine.

Runs numexpr's `numexpr/tests/test_numexpr.py` (from the installed numexpr)
with its `evaluate` recorded (collect.py), so that every call the suite
makes becomes a case: the expression, its options, its inputs exactly as
numexpr received them (strided views strided, 0-d arrays 0-d) and numexpr's
answer. Calls repeated with the same expression, options and inputs are one
case. The cases go through hpcrs's public API (`expr::evaluate_with`, or
`Expr::eval` when the test passed `out=`, with the test's `optimization=`
level) in one run of the Rust runner
`crates/expr/examples/yardstick_runner`; each answer is judged against
numexpr's with the tolerance of the test that made it (compare.py).

Prints the pass rate by section, dtype and category (an operator or
function of `test_expressions`, or the targeted test), the causes of
failure with their counts, and the summary line `N of M cases pass (P%)`;
writes the same plus every failing case (expression, inputs, what differs)
to the report file. Exits 0 when the pass rate is at least `--min-pass`
percent, 1 otherwise (or on an error), 2 on a usage error.

Usage (the venv's Python needs numpy and numexpr: `scripts/setup-venv.sh`
makes it and prints its path):

    PYTHON=$(scripts/setup-venv.sh | tail -n 1)
    $PYTHON scripts/numexpr-yardstick/yardstick.py [--min-pass P] [--report FILE]

The runner is built and run with `cargo run -p hpcrs-expr --example
yardstick_runner` (the dev profile, which `cargo test` has already built;
`--release` for the release one), or `--runner PATH` names a built one.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)


def _arguments():
    p = argparse.ArgumentParser(
        description="Run numexpr's test suite through hpcrs and print the pass rate."
    )
    p.add_argument("--min-pass", type=float, default=0.0, metavar="PERCENT",
                   help="exit 1 when fewer than PERCENT of the cases pass (default 0)")
    p.add_argument("--report", default=os.path.join(ROOT, "target", "numexpr-yardstick.txt"),
                   metavar="FILE", help="where to write the tables and every failing case "
                   "(default target/numexpr-yardstick.txt)")
    p.add_argument("--runner", metavar="PATH",
                   help="a built yardstick_runner (default: cargo run --example yardstick_runner)")
    p.add_argument("--release", action="store_true",
                   help="build the runner with the release profile")
    p.add_argument("--show-failures", action="store_true",
                   help="print every failing case on standard output too")
    args = p.parse_args()
    if not 0.0 <= args.min_pass <= 100.0:
        p.error(f"--min-pass {args.min_pass}: expected a percentage from 0 to 100")
    return args


def _runner_command(args, directory):
    if args.runner:
        return [args.runner, directory]
    cargo = os.environ.get("CARGO", "cargo")
    cmd = [cargo, "run", "--quiet", "-p", "hpcrs-expr", "--example", "yardstick_runner"]
    if args.release:
        cmd.append("--release")
    return cmd + ["--", directory]


def _log(message):
    print(f"yardstick: {message}", file=sys.stderr, flush=True)


def main():
    args = _arguments()
    try:
        import numexpr
        import numpy
    except ImportError as e:
        print(f"yardstick: {sys.executable} lacks {e.name}: run it with the Python that "
              "scripts/setup-venv.sh prints", file=sys.stderr)
        return 1
    import collect
    import compare
    import exchange
    import report

    started = time.monotonic()
    try:
        cases, outcomes, suite_failures = collect.collect(_log)
    except RuntimeError as e:
        print(f"yardstick: {e}", file=sys.stderr)
        return 1
    runnable = [c for c in cases if c.unsupported() is None]
    with tempfile.TemporaryDirectory(prefix="hpcrs-yardstick-") as directory:
        exchange.write_cases(directory, runnable)
        cmd = _runner_command(args, directory)
        _log(f"{len(runnable)} cases to hpcrs: {' '.join(cmd[:-1])} DIR")
        try:
            run = subprocess.run(cmd, cwd=ROOT, timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as e:
            print(f"yardstick: running {cmd[0]}: {e}", file=sys.stderr)
            return 1
        if run.returncode != 0:
            print(f"yardstick: {' '.join(cmd[:-1])} exited with {run.returncode}", file=sys.stderr)
            return 1
        answers = exchange.read_results(directory)

    missing = exchange.Answer(error="the runner gave no answer", panicked=True)
    failed = {}
    for c in cases:
        d = compare.judge(c, answers.get(c.ident, missing))
        if d is not None:
            failed[c.ident] = d

    header = [
        f"numexpr {numexpr.__version__} test suite (numpy {numpy.__version__}) through hpcrs: "
        f"{len(cases)} distinct cases from {outcomes['passed'] + outcomes['failed'] + outcomes['skipped']} "
        f"tests ({outcomes['failed']} of which fail under numexpr itself here)",
        "",
    ]
    tables = report.tables(cases, failed)
    summary = report.summary_line(cases, failed)
    lines = header + tables + ["", summary]
    print("\n".join(lines))
    failing = report.failures(cases, failed)
    if args.show_failures:
        print("\n".join(["", "failing cases:"] + failing))
    try:
        os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
        with open(args.report, "w", encoding="utf-8") as f:
            f.write("\n".join(lines + ["", "tests that fail under numexpr itself:"]
                              + [f"    {s}" for s in suite_failures]
                              + ["", "failing cases:"] + failing) + "\n")
    except OSError as e:
        print(f"yardstick: --report {args.report}: {e.strerror or e}", file=sys.stderr)
        return 1
    _log(f"every failing case is in {args.report} ({time.monotonic() - started:.1f} s)")

    passed = len(cases) - len(failed)
    rate = 100.0 * passed / len(cases) if cases else 0.0
    if rate < args.min_pass:
        print(f"yardstick: {rate:.1f}% of the cases pass, below --min-pass {args.min_pass:g}%",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
