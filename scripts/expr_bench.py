#!/usr/bin/env python3
"""expr_bench.py: `hpcrs expr` side by side with numexpr 2.x, in one run.

Measures, with the same thread count for everybody:
  - the memory-bandwidth limit: a plain streaming copy (numpy.copyto, and
    `hpcrs expr 'a'`), counted as bytes read + bytes written;
  - `a**2 + b**2 + 2*a*b` on 1e6 and 1e7 f64: numexpr vs hpcrs;
  - `sin(a)**2 + cos(b)*exp(-a)` on 1e6 and 1e7 f64: numexpr vs hpcrs;
  - diff2d: `hpcrs diff2d --backend expr` vs `--backend threads` vs the
    course's numexpr version (scripts/expr_diff2d_numexpr.py);
and prints the ratios against the issue's targets. Every time is a median:
numexpr's of its evaluations in a round, timed inside this process, and
hpcrs's of its own (`median: X ms`, or the stepping seconds of diff2d), so no
process start-up is counted; the table shows the median of the rounds, the
peers interleaved round by round, and the spread of the rounds.

Usage: $PYTHON scripts/expr_bench.py [--hpcrs PATH] [--threads T] [--rounds R] [--quick]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import numexpr as ne

HERE = os.path.dirname(os.path.abspath(__file__))


def median_of(f, repeat):
    times = []
    for _ in range(repeat):
        s = time.perf_counter()
        f()
        times.append(time.perf_counter() - s)
    return statistics.median(times)


def hpcrs_expr(hpcrs, text, n, threads, repeat):
    out = subprocess.run(
        [hpcrs, "expr", text, "--n", str(n), "--threads", str(threads), "--repeat", str(repeat)],
        capture_output=True, text=True, check=True).stdout
    return float(re.search(r"^median: ([0-9.]+) ms", out, re.M).group(1)) / 1e3


def hpcrs_diff2d(hpcrs, backend, threads):
    p = subprocess.run([hpcrs, "diff2d", "--backend", backend, "--threads", str(threads)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip().splitlines()[-1] if p.stderr else "failed"
    m = re.search(r"\(([0-9.]+) s stepping\)", p.stderr)
    return float(m.group(1)), None


def numexpr_diff2d(threads):
    p = subprocess.run([sys.executable, os.path.join(HERE, "expr_diff2d_numexpr.py"),
                        "--threads", str(threads)], capture_output=True, text=True, check=True)
    return float(re.search(r"seconds=([0-9.]+)", p.stderr).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hpcrs", default=os.path.join(HERE, "..", "target", "release", "hpcrs"))
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="skip the diff2d comparison")
    args = ap.parse_args()
    T, R = args.threads, args.rounds
    ne.set_num_threads(T)
    print(f"numexpr {ne.__version__} (VML: {ne.use_vml}), numpy {np.__version__}, "
          f"{T} thread(s), medians of {R} interleaved rounds (min-max of the rounds)")

    poly = "a**2 + b**2 + 2*a*b"
    trans = "sin(a)**2 + cos(b)*exp(-a)"
    sizes = [10**6, 10**7]
    rounds = {}

    def keep(key, t):
        rounds.setdefault(key, []).append(t)

    for r in range(R):
        for n in sizes:
            rng = np.random.default_rng(r)
            a, b = rng.random(n), rng.random(n)
            c = np.empty(n)
            reps = 20 if n <= 10**6 else 5
            keep(("copy-numpy", n), median_of(lambda: np.copyto(c, a), reps))
            keep(("copy-hpcrs", n), hpcrs_expr(args.hpcrs, "a", n, T, reps))
            for name, text in (("poly", poly), ("trans", trans)):
                reps_e = reps if name == "poly" else max(2, reps // 4)
                keep((name + "-numexpr", n),
                     median_of(lambda: ne.evaluate(text, local_dict={"a": a, "b": b}, out=c), reps_e))
                keep((name + "-hpcrs", n), hpcrs_expr(args.hpcrs, text, n, T, reps_e))
            del a, b, c

    med = {key: statistics.median(ts) for key, ts in rounds.items()}

    def spread(key):
        return f"{min(rounds[key])*1e3:.2f}-{max(rounds[key])*1e3:.2f}"

    ok_all = True

    def verdict(ok):
        nonlocal ok_all
        ok_all &= ok
        return "MET" if ok else "NOT MET"

    print()
    print("| case | n | numexpr ms (spread) | hpcrs ms (spread) | speed-up | GB/s hpcrs | copy GB/s | of bandwidth limit | targets |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        copy_bw = 16 * n / min(med[("copy-numpy", n)], med[("copy-hpcrs", n)])
        for name, text, nbytes in (("poly", poly, 24 * n), ("trans", trans, 24 * n)):
            tn, th = med[(name + "-numexpr", n)], med[(name + "-hpcrs", n)]
            speed = tn / th
            limit = nbytes / copy_bw
            frac = th / limit
            if name == "poly":
                t = (f"≥1.5x numexpr: {verdict(speed >= 1.5)}; "
                     f"within 1.3x of bandwidth: {verdict(frac <= 1.3)}")
            else:
                t = f"≥ numexpr: {verdict(speed >= 1.0)}"
            print(f"| `{text}` | {n:.0e} | {tn*1e3:.2f} ({spread((name + '-numexpr', n))}) | "
                  f"{th*1e3:.2f} ({spread((name + '-hpcrs', n))}) | {speed:.2f}x | "
                  f"{nbytes/th/1e9:.1f} | {copy_bw/1e9:.1f} | {frac:.2f}x | {t} |")
    for n in sizes:
        print(f"copy {n:.0e}: numpy {16*n/med[('copy-numpy', n)]/1e9:.1f} GB/s, "
              f"hpcrs expr 'a' {16*n/med[('copy-hpcrs', n)]/1e9:.1f} GB/s")

    if not args.quick:
        print()
        runs = {"expr": [], "threads": [], "numexpr": []}
        why = None
        for r in range(R):
            t, why = hpcrs_diff2d(args.hpcrs, "expr", T)
            if t is not None:
                runs["expr"].append(t)
            t, _ = hpcrs_diff2d(args.hpcrs, "threads", T)
            if t is not None:
                runs["threads"].append(t)
            if r < 3:
                runs["numexpr"].append(numexpr_diff2d(T))
        te, tt, tn = (statistics.median(runs[k]) if runs[k] else None
                      for k in ("expr", "threads", "numexpr"))
        print("| diff2d (course parameters, 299x299, 13410 steps) | seconds stepping |")
        print("|---|---|")
        print(f"| numexpr (scripts/expr_diff2d_numexpr.py) | {tn:.3f} |")
        print(f"| hpcrs --backend threads | {tt:.3f} |" if tt else "| hpcrs --backend threads | n/a |")
        if te is None:
            print(f"| hpcrs --backend expr | n/a ({why}) |")
            ok_all = False
        else:
            print(f"| hpcrs --backend expr | {te:.3f} |")
            print(f"expr vs numexpr: {tn/te:.1f}x faster (target ≥10x: {verdict(tn/te >= 10)}); "
                  f"expr vs threads: {te/tt:.2f}x the time (target ≤2x: {verdict(te/tt <= 2)})")
    print()
    print("all targets met" if ok_all else "some targets not met")


if __name__ == "__main__":
    main()
