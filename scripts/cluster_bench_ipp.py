"""ipyparallel's side of scripts/cluster_bench.sh: the same three measurements as
`hpcrs cluster bench`, on a running ipcluster (started by the script), printing
the time of the measured section in the same format.

    python cluster_bench_ipp.py apply N      # N round trips of rc[0].apply_sync(minus, 5, 6)
    python cluster_bench_ipp.py map N        # lview.map_sync(minus, xs, ys) over N pairs
    python cluster_bench_ipp.py scatter MB   # dview.scatter('a', f64 array of MB); dview.gather('a')
"""
import sys
import time

import ipyparallel as ipp
import numpy as np


def minus(a, b):
    return a - b


def main():
    what, n = sys.argv[1], int(sys.argv[2])
    profile = sys.argv[3] if len(sys.argv) > 3 else "default"
    rc = ipp.Client(profile=profile)
    rc.wait_for_engines(1, timeout=60)
    if what == "apply":
        view = rc[rc.ids[0]]
        t = time.perf_counter()
        for _ in range(n):
            assert view.apply_sync(minus, 5, 6) == -1
        s = time.perf_counter() - t
        print(f"apply round trip: {n} calls in {s:.3f} s, {s * 1e6 / n:.1f} us each")
    elif what == "map":
        xs = list(range(n))
        ys = list(reversed(xs))
        lview = rc.load_balanced_view()
        t = time.perf_counter()
        r = lview.map_sync(minus, xs, ys)
        s = time.perf_counter() - t
        assert r == [x - y for x, y in zip(xs, ys)]
        print(f"load-balanced map: {n} tasks in {s:.3f} s, {n / s:.0f} tasks/s")
    elif what == "scatter":
        data = np.arange(n * (1 << 20) // 8, dtype=np.float64)
        dview = rc[:]
        t = time.perf_counter()
        dview.scatter("a", data, block=True)
        back = dview.gather("a", block=True)
        s = time.perf_counter() - t
        assert np.array_equal(back, data)
        print(f"scatter+gather: {n} MB in {s:.3f} s, {n / s:.0f} MB/s")
    else:
        sys.exit(f"unknown measurement {what}")
    rc.close()


if __name__ == "__main__":
    main()
