#!/usr/bin/env python3
"""expr_diff2d_numexpr.py: the course's numexpr version of the 2D diffusion
solver (diff2d_numexpr.py), the peer of `hpcrs diff2d --backend expr`.

numexpr "has no facilities for slicing or offsets", so the course works on
flat (1-D) views of the density: the five neighbours of the interior are
five shifted slices of the flattened array, one numexpr call computes the
update over that flat range (which also covers the left/right boundary
columns, wrapping from one row to the next), and the boundary columns are
reset to zero afterwards. Run it with the interpreter in $PYTHON, e.g.
    $PYTHON scripts/expr_diff2d_numexpr.py [--threads T] [D x1 x2 runtime dx outtime]

stdout: the simulation time at the start and every nper steps (like the
course's program); stderr: one line of key=value results, with the seconds
of the time loop only (Python start-up and imports are not counted).
"""
import sys
import time

import numpy as np
import numexpr as ne


def main(argv):
    threads = None
    if len(argv) > 2 and argv[1] == "--threads":
        threads = int(argv[2])
        argv = argv[:1] + argv[3:]
    if threads is not None:
        ne.set_num_threads(threads)
    D, x1, x2, runtime, dx, outtime = 1.0, -10.0, 10.0, 15.0, 0.0667, 0.5
    if len(argv) == 7:
        D, x1, x2, runtime, dx, outtime = (float(a) for a in argv[1:])
    elif len(argv) != 1:
        sys.exit("usage: expr_diff2d_numexpr.py [--threads T] [D x1 x2 runtime dx outtime]")

    nrows = int((x2 - x1) / dx)
    npnts = nrows + 2
    dx = (x2 - x1) / nrows
    dt = 0.25 * dx**2 / D
    nsteps = int(runtime / dt)
    nper = int(outtime / dt)
    if nper == 0:
        nper = 1
    x = np.linspace(x1 - dx, x2 + dx, num=npnts)

    dens1 = np.zeros((npnts, npnts))
    dens2 = np.zeros((npnts, npnts))
    xm = 0.5 * (x1 + x2)
    a = 1 - np.abs(1 - 4 * np.abs((x[1:-1] - xm) / (x2 - x1)))
    dens1[1:-1, 1:-1] = np.outer(a, a)
    k = D / dx**2 * dt

    # The flat-views trick: element (i, j) is flat[i*npnts + j]; the interior
    # rows 1..npnts-2 are the flat range [lo, hi), and a neighbour is the same
    # range shifted by -npnts, +npnts, -1 or +1.
    n = npnts
    lo, hi = n + 1, n * n - n - 1

    def views(src, dst):
        f, g = src.ravel(), dst.ravel()
        return dict(c=f[lo:hi], up=f[lo - n:hi - n], down=f[lo + n:hi + n],
                    left=f[lo - 1:hi - 1], right=f[lo + 1:hi + 1], k=k), g[lo:hi]

    plans = [views(dens1, dens2), views(dens2, dens1)]
    expr = "c + k*((((down + up) + right) + left) - 4*c)"
    simtime = 0 * dt
    print(simtime)
    begin = time.perf_counter()
    cur = 0
    for s in range(nsteps):
        inputs, out = plans[cur]
        ne.evaluate(expr, local_dict=inputs, out=out)
        nxt = dens2 if cur == 0 else dens1
        # The flat range wrapped through the boundary columns: zero them again.
        nxt[:, 0] = 0.0
        nxt[:, -1] = 0.0
        cur = 1 - cur
        simtime += dt
        if (s + 1) % nper == 0:
            print(simtime)
    seconds = time.perf_counter() - begin
    final = dens1 if cur == 0 else dens2
    print("seconds=%.9f nrows=%d nsteps=%d threads=%d sum=%.17g max=%.17g"
          % (seconds, nrows, nsteps, ne.get_num_threads(), final.sum(), final.max()),
          file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
