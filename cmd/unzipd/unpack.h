/*
 * From one input held in memory (a mail, a zip, a gzip or XML) to the
 * aggregate reports in it, one XML document at a time.  What an input
 * is comes from its bytes, never from a name or a declared type; every
 * size is counted on the bytes actually produced.
 */
#ifndef UNZIPD_UNPACK_H
#define UNZIPD_UNPACK_H

#include <stddef.h>

#include "limit.h"

/*
 * Where the reports go.  begin() opens report k (from 1 in each input),
 * write() adds bytes to it, end() publishes it whole, abort() throws it
 * away.  Each returns 0, or -1 with errno set on a failure of the
 * output itself (disk, stdout): a temporary fault, not the input's.
 */
struct report_out {
	void	*arg;
	int	(*begin)(void *arg, unsigned long k);
	int	(*write)(void *arg, const void *p, size_t n);
	int	(*end)(void *arg, unsigned long k);
	void	(*abort)(void *arg, unsigned long k);
};

enum unpack_result {
	UNPACK_OK,	/* every report in the input went out */
	UNPACK_BAD,	/* the input is refused; why[] says why (reports
			   before the refusal may have gone out) */
	UNPACK_FAULT,	/* the output failed: retry later (errno) */
};

/* Call before the sandbox: libarchive's lazy set-up happens here. */
void	unpack_setup(void);

/*
 * Unpack the `len` bytes at `p`.  *reports counts what went out; the
 * caller adds its own prefix to why[] (the input's name).
 */
enum unpack_result unpack(const unsigned char *p, size_t len,
	    const struct limits *, const struct report_out *,
	    unsigned long *reports, char *why, size_t whylen);

#endif
