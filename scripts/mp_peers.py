"""The Python peers of `hpcrs mp`, `summer --mode processes` and
`auc --backend processes`: the course's multiprocessing programs, each as
one command, for scripts/mp_bench.sh and docs/procs.md.

Usage: python mp_peers.py pool WORKERS TASKS   # Pool(WORKERS).map(f, range(TASKS))
       python mp_peers.py start N              # start and join N Processes (summer_multiprocessing.py, n = 1)
       python mp_peers.py race [lock]          # multiprocessing_shared.py (and _fixed)
       python mp_peers.py array                # multiprocessing_shared_array.py
       python mp_peers.py auc NTOT WORKERS     # the hands-on: auc with a process pool (numpy per share)
"""
import sys
import time
from multiprocessing import Array, Lock, Pool, Process, Value


def f(x):
    return x * x


def my_summer(start, stop):
    tot = 0
    for i in range(start, stop):
        tot += i
    return tot


def race(v, lock):
    for _ in range(50):
        time.sleep(0.001)
        if lock is None:
            v.value += 1
        else:
            with lock:
                v.value += 1


def negate(a, i):
    a[i] = -a[i]


def auc_share(args):
    import numpy as np
    ntot, start, stop = args
    dx = 3.0 / ntot
    total = 0.0
    block = 1 << 22
    for lo in range(start, stop, block):
        x = np.arange(lo, min(lo + block, stop), dtype=np.float64) * dx
        total += np.sum(0.7 * x**3 - 2 * x**2 + 4)
    return total * dx


def main(argv):
    what = argv[1]
    if what == "pool":
        workers, tasks = int(argv[2]), int(argv[3])
        with Pool(workers) as p:
            results = p.map(f, range(tasks))
        print("checksum", sum(results))
    elif what == "start":
        procs = [Process(target=my_summer, args=(0, 1)) for _ in range(int(argv[2]))]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
    elif what == "race":
        v = Value("i", 0)
        lock = Lock() if argv[2:] == ["lock"] else None
        procs = [Process(target=race, args=(v, lock)) for _ in range(10)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        print(v.value)
    elif what == "array":
        arr = Array("d", [float(i) for i in range(10)])
        procs = [Process(target=negate, args=(arr, i)) for i in range(10)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        print(arr[:])
    elif what == "auc":
        ntot, workers = int(float(argv[2])), int(argv[3])
        bounds = [ntot * w // workers for w in range(workers + 1)]
        with Pool(workers) as p:
            area = sum(p.map(auc_share, [(ntot, bounds[w], bounds[w + 1]) for w in range(workers)]))
        print("The area is %f" % area)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
