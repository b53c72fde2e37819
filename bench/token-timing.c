/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * T08 of the attack research: does the time token_redeem() takes tell how much of a forged MAC
 * was right? Two classes of forgeries are timed, interleaved: one wrong in the MAC's first
 * byte, one wrong only in its last. A comparison that stops at the first difference would make
 * the second class slower. Welch's t-test over the samples: |t| below 4.5 (the dudect
 * threshold) means no leak could be measured. A measurement, not a test: it never gates CI.
 *
 *	token-timing [SAMPLES]        (default 1000000 per class)
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "airlock/airlock.h"
#include "token.h"

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct stats {
	double n, mean, m2;
};

static void add(struct stats *s, double x)
{
	s->n++;
	double d = x - s->mean;
	s->mean += d / s->n;
	s->m2 += d * (x - s->mean);
}

/* Replace the base64url character at i by another one that decodes to a different value. */
static void flip(char *tok, size_t i)
{
	tok[i] = tok[i] == 'A' ? 'B' : 'A';
}

int main(int argc, char **argv)
{
	long samples = argc > 1 ? atol(argv[1]) : 1000000;
	uint8_t session[16] = { 1, 2, 3 };
	struct token_table *t = NULL;
	char good[TOKEN_TEXT_LEN + 1];

	if (samples <= 0 || token_table_new(session, 16, &t) < 0 ||
	    token_mint(t, "/etc/hostname", 1, 2, AIRLOCK_ACCESS_READ, 0, 0, good, NULL) < 0) {
		fprintf(stderr, "token-timing: setup failed\n");
		return 1;
	}
	/* The MAC is the last 43 characters; its first byte is in the first two of them. Flip
	 * the character whose bits all belong to byte 0, and the one just before the last (the
	 * last carries padding bits only partly). */
	char first[sizeof(good)], last[sizeof(good)];
	memcpy(first, good, sizeof(good));
	memcpy(last, good, sizeof(good));
	flip(first, TOKEN_TEXT_LEN - 43);
	flip(last, TOKEN_TEXT_LEN - 2);

	struct stats a = { 0 }, b = { 0 };
	for (long i = 0; i < samples; i++) {
		for (int k = 0; k < 2; k++) {
			/* Alternate the order so drift hits both classes alike. */
			bool first_class = (i + k) % 2 == 0;
			uint64_t t0 = now_ns();
			int r = token_redeem(t, first_class ? first : last, 0, NULL);
			uint64_t dt = now_ns() - t0;
			if (r != -EPERM) {
				fprintf(stderr, "token-timing: a forgery was accepted (%d)\n", r);
				return 1;
			}
			/* Drop outliers (preemption, interrupts): above 100 us is not the compare. */
			if (dt < 100000)
				add(first_class ? &a : &b, (double)dt);
		}
	}
	double va = a.m2 / (a.n - 1), vb = b.m2 / (b.n - 1);
	double tstat = (a.mean - b.mean) / sqrt(va / a.n + vb / b.n);
	printf("T08 token MAC comparison: %.0f + %.0f samples\n", a.n, b.n);
	printf("  wrong first byte: mean %.1f ns    wrong last byte: mean %.1f ns\n", a.mean, b.mean);
	printf("  Welch t = %.2f  (|t| < 4.5: no measurable difference)\n", tstat);
	token_table_free(t);
	return fabs(tstat) < 4.5 ? 0 : 2;
}
