/*
 * strtonum(3) in spirit: rejects empty strings, signs where not allowed
 * by the range, trailing bytes and overflow, and says which.
 */
#include <errno.h>
#include <stdlib.h>

#include "num.h"

int
num_parse(const char *s, long long min, long long max, long long *out,
    const char **why)
{
	char		*end;
	long long	 v;

	if (*s == '\0') {
		*why = "empty number";
		return -1;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		*why = "not a number";
		return -1;
	}
	if (errno == ERANGE || v < min) {
		*why = v < min ? "number too small" : "number too large";
		return -1;
	}
	if (v > max) {
		*why = "number too large";
		return -1;
	}
	*out = v;
	return 0;
}

size_t
num_format(char *buf, unsigned long v)
{
	char	tmp[NUM_ULONG_MAX];
	size_t	n = 0, i;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}
