/*
 * Checked number parsing: the whole string must be a decimal integer in
 * [min, max].  Our replacement for atoi and friends.
 */
#ifndef DP_NUM_H
#define DP_NUM_H

/* Returns 0, or -1 with a static reason in *why. */
int	num_parse(const char *s, long long min, long long max, long long *out,
	    const char **why);

#endif
