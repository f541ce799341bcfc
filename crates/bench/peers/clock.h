/* clock.h: the clock the C peers time their loops with (included by each). */
#ifndef HPCRS_PEER_CLOCK_H
#define HPCRS_PEER_CLOCK_H

#include <time.h>

/* Seconds from a fixed point, on the monotonic clock (immune to clock
 * changes while a loop runs). */
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

#endif
