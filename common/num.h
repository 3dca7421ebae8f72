/*
 * Checked number parsing: the whole string must be a decimal integer in
 * [min, max].  Our replacement for atoi and friends.  And the way back,
 * for hot paths where snprintf(3) costs more than the rest of the line.
 */
#ifndef DP_NUM_H
#define DP_NUM_H

#include <stddef.h>

/* Returns 0, or -1 with a static reason in *why. */
int	num_parse(const char *s, long long min, long long max, long long *out,
	    const char **why);

/*
 * Write v in decimal at buf (NUM_ULONG_MAX bytes are always enough, no
 * NUL is written) and return the number of digits.
 */
#define NUM_ULONG_MAX	20
size_t	num_format(char *buf, unsigned long v);

#endif
