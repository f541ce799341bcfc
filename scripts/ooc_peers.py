"""Python peers of `hpcrs ooc` for scripts/ooc_bench.sh and the numpy round-trip tests.

usage: ooc_peers.py rowloop FILE      course's average12GB.py loop, with numpy's sum per row
       ooc_peers.py mean FILE         np.load(FILE, mmap_mode='r').mean()
       ooc_peers.py write DIR         write one small .npy per supported dtype/order/endianness
       ooc_peers.py check FILE        print shape, dtype, fortran flag, mean, std, min, max, a[0..]
"""
import sys
import time

import numpy as np


def rowloop(path):
    f = np.load(path, mmap_mode="r")
    n = f.shape[0]
    total = 0.0
    for i in range(n):
        total += np.sum(f[i, :])
    return total / f.size


def mean(path):
    return float(np.load(path, mmap_mode="r").mean())


def write(outdir):
    rng = np.random.default_rng(5)
    base = rng.random((7, 5)) * 100 - 50
    cases = {
        "f64": base, "f32": base.astype(np.float32), "i64": (base * 1e6).astype(np.int64),
        "i32": base.astype(np.int32), "u8": (base + 50).astype(np.uint8), "bool": base > 0,
    }
    for name, a in cases.items():
        for order in ("C", "F"):
            for endian in ("<", ">"):
                arr = np.asarray(a, order=order)
                if arr.dtype.itemsize > 1:
                    arr = arr.astype(arr.dtype.newbyteorder(endian))
                elif endian == ">":
                    continue
                tag = "be" if endian == ">" else "le"
                np.save(f"{outdir}/{name}_{order}_{tag}.npy", arr)
    # Explicit format versions 2.0 and 3.0.
    for v in [(2, 0), (3, 0)]:
        with open(f"{outdir}/f64_v{v[0]}.npy", "wb") as fh:
            np.lib.format.write_array(fh, base, version=v)


def check(path):
    a = np.load(path, mmap_mode="r")
    x = np.asarray(a, dtype=np.float64)
    print(list(a.shape), a.dtype.str, bool(np.isfortran(a)) if a.ndim > 1 else False)
    print(repr(float(x.mean())), repr(float(x.std())), repr(float(x.min())), repr(float(x.max())))
    print(str(a[(0,) * a.ndim]), str(a[tuple(d - 1 for d in a.shape)]))


if __name__ == "__main__":
    mode, arg = sys.argv[1], sys.argv[2]
    t = time.perf_counter()
    if mode == "rowloop":
        print(rowloop(arg))
    elif mode == "mean":
        print(mean(arg))
    elif mode == "write":
        write(arg)
    elif mode == "check":
        check(arg)
    else:
        sys.exit(f"unknown mode {mode}")
    print(f"python {mode}: {time.perf_counter() - t:.3f} s", file=sys.stderr)
