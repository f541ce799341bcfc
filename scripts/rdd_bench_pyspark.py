"""PySpark's side of `rdd_bench` (crates/dataset/examples/rdd_bench.rs), on
local[2]: the same data, the same partitions, the same summary.

Usage: rdd_bench_pyspark.py sort|join [N]
  sort: N (default 2,000,000) (key, index) pairs with random 63-bit keys,
        sortByKey into 8 partitions; each partition reports its size, its
        first and last key and whether it is sorted.
  join: two datasets of N (default 1,000,000) distinct keys, (k, k) and
        (k, 2k) in different orders, joined into 8 partitions; each
        partition reports its size and the sum of its values.
Prints `count C check X` and, on the last line, `seconds S`: the job's
time from parallelize to the summary (the context already up, the input
lists already built).
"""
import random
import sys
import time

from pyspark import SparkConf, SparkContext

PARTITIONS = 8


def sort_summary(it):
    n, first, last, ok = 0, None, None, True
    for k, _ in it:
        if last is not None and k < last:
            ok = False
        if first is None:
            first = k
        last = k
        n += 1
    yield (n, first, last, ok)


def join_summary(it):
    n, total = 0, 0
    for _, (v, w) in it:
        n += 1
        total += v + w
    yield (n, total)


def main():
    what = sys.argv[1]
    conf = (SparkConf().setMaster("local[2]").setAppName("rdd_bench")
            .set("spark.ui.enabled", "false").set("spark.driver.memory", "2g")
            .set("spark.ui.showConsoleProgress", "false"))
    sc = SparkContext(conf=conf)
    sc.setLogLevel("ERROR")
    rng = random.Random(7)
    if what == "sort":
        n = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
        data = [(rng.getrandbits(63), i) for i in range(n)]
        start = time.perf_counter()
        parts = (sc.parallelize(data, PARTITIONS).sortByKey(True, PARTITIONS)
                 .mapPartitions(sort_summary).collect())
        seconds = time.perf_counter() - start
        bounds = [(f, l) for (c, f, l, _) in parts if c > 0]
        ordered = all(ok for (_, _, _, ok) in parts) and all(
            a[1] <= b[0] for a, b in zip(bounds, bounds[1:]))
        count = sum(p[0] for p in parts)
        print(f"count {count} check {'sorted' if ordered else 'UNSORTED'}")
    elif what == "join":
        n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
        left = [(k, k) for k in range(n)]
        right = [((k * 7919) % n, 2 * ((k * 7919) % n)) for k in range(n)]
        start = time.perf_counter()
        joined = sc.parallelize(left, PARTITIONS).join(
            sc.parallelize(right, PARTITIONS), PARTITIONS)
        parts = joined.mapPartitions(join_summary).collect()
        seconds = time.perf_counter() - start
        print(f"count {sum(p[0] for p in parts)} check {sum(p[1] for p in parts)}")
    else:
        sys.exit(f"usage: {sys.argv[0]} sort|join [N]")
    print(f"seconds {seconds:.3f}")
    sc.stop()


if __name__ == "__main__":
    main()
