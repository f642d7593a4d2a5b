/*
 * fineclock.c -- LD_PRELOAD library for SIPp, compiled by bench/run-bench.py.
 *
 * SIPp 3.6 takes its timestamps from the *_COARSE clocks, which only advance once
 * per kernel tick (4 ms on a HZ=250 kernel), so every response time it reports is
 * a multiple of the tick. This library answers clock_gettime() for the two coarse
 * clock ids from the corresponding precise clock (served by the vDSO, so still
 * cheap); any other clock id is passed through untouched.
 *
 *   cc -O2 -shared -fPIC -o fineclock.so fineclock.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <time.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static clock_gettime_fn libc_clock_gettime;

static clockid_t precise(clockid_t id)
{
	switch (id) {
	case CLOCK_MONOTONIC_COARSE:
		return CLOCK_MONOTONIC;
	case CLOCK_REALTIME_COARSE:
		return CLOCK_REALTIME;
	default:
		return id;
	}
}

__attribute__((constructor)) static void fineclock_bind(void)
{
	libc_clock_gettime = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	if (libc_clock_gettime == NULL)
		fineclock_bind();
	return libc_clock_gettime(precise(id), ts);
}
