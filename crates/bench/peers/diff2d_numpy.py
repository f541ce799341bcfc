#!/usr/bin/env python3
"""diff2d_numpy.py: the course's numpy version of the 2D diffusion solver,
the peer that `hpcrs bench` times hpcrs against.

Whole-array slicing with temporaries, as in the course: the laplacian of the
interior from four shifted slices, then dens2 = dens1 + D/dx**2*dt*lapl and
a swap. Run it with the interpreter in $PYTHON (numpy from PyPI), e.g.
    $PYTHON crates/bench/peers/diff2d_numpy.py    # the course's parameters
    $PYTHON crates/bench/peers/diff2d_numpy.py D x1 x2 runtime dx outtime

stdout: the simulation time at the start and every nper steps, like the
course's program; stderr: one line of key=value results (seconds of the time
loop, grid, sum and max of the final density).
"""
import sys
import time

import numpy as np


def main(argv):
    D, x1, x2, runtime, dx, outtime = 1.0, -10.0, 10.0, 15.0, 0.0667, 0.5
    if len(argv) == 7:
        D, x1, x2, runtime, dx, outtime = (float(a) for a in argv[1:])
    elif len(argv) != 1:
        sys.exit("usage: diff2d_numpy.py [D x1 x2 runtime dx outtime]")

    # The course's grid.
    nrows = int((x2 - x1) / dx)
    ncols = nrows
    npnts = nrows + 2
    dx = (x2 - x1) / nrows
    dt = 0.25 * dx**2 / D
    nsteps = int(runtime / dt)
    nper = int(outtime / dt)
    if nper == 0:
        nper = 1
    x = np.linspace(x1 - dx, x2 + dx, num=npnts)

    # The four-peak initial condition.
    dens1 = np.zeros((npnts, npnts))
    dens2 = np.zeros((npnts, npnts))
    lapl = np.zeros((npnts, npnts))
    xm = 0.5 * (x1 + x2)
    a = 1 - np.abs(1 - 4 * np.abs((x[1:-1] - xm) / (x2 - x1)))
    dens1[1:-1, 1:-1] = np.outer(a, a)

    simtime = 0 * dt
    print(simtime)
    begin = time.perf_counter()
    for s in range(nsteps):
        lapl[1:nrows + 1, 1:ncols + 1] = (dens1[2:nrows + 2, 1:ncols + 1]
                                          + dens1[0:nrows + 0, 1:ncols + 1]
                                          + dens1[1:nrows + 1, 2:ncols + 2]
                                          + dens1[1:nrows + 1, 0:ncols + 0]
                                          - 4 * dens1[1:nrows + 1, 1:ncols + 1])
        dens2[:, :] = dens1 + D / dx**2 * dt * lapl
        dens1, dens2 = dens2, dens1
        simtime += dt
        if (s + 1) % nper == 0:
            print(simtime)
    seconds = time.perf_counter() - begin
    print("seconds=%.9f nrows=%d nsteps=%d threads=1 sum=%.17g max=%.17g"
          % (seconds, nrows, nsteps, dens1.sum(), dens1.max()), file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
