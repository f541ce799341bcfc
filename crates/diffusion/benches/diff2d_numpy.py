"""The course's diff2d_numpy.py (without the plotting), timed: the numpy
peer of `hpcrs diff2d --backend array`. Prints "<seconds of stepping> <sum>"."""
import time

import numpy as np

D = 1.0
x1 = -10.0
x2 = 10.0
runtime = 15.0
dx = 0.0667
outtime = 0.5
nrows = int((x2 - x1) / dx)
npnts = nrows + 2
xm = (x1 + x2) / 2
dx = (x2 - x1) / nrows
dt = 0.25 * dx**2 / D
nsteps = int(runtime / dt)
nper = int(outtime / dt)
x = np.linspace(x1 - dx, x2 + dx, npnts)
dens1 = np.zeros((npnts, npnts))
dens2 = np.zeros((npnts, npnts))
lapl = np.zeros((npnts, npnts))
for i in range(1, npnts - 1):
    a = 1 - abs(1 - 4 * abs((x[i] - xm) / (x2 - x1)))
    for j in range(1, npnts - 1):
        b = 1 - abs(1 - 4 * abs((x[j] - xm) / (x2 - x1)))
        dens1[i][j] = a * b
start = time.perf_counter()
for s in range(nsteps):
    lapl[1:nrows + 1, 1:nrows + 1] = (
        dens1[2:nrows + 2, 1:nrows + 1]
        + dens1[0:nrows + 0, 1:nrows + 1]
        + dens1[1:nrows + 1, 2:nrows + 2]
        + dens1[1:nrows + 1, 0:nrows + 0]
        - 4 * dens1[1:nrows + 1, 1:nrows + 1])
    dens2[:, :] = dens1 + D / dx**2 * dt * lapl
    dens1, dens2 = dens2, dens1
print("%.4f %r" % (time.perf_counter() - start, float(dens1.sum())))
