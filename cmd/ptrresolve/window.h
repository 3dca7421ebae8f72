/*
 * The window of event lines between the input and the output: in each
 * line the values of source_ip and source_hostname are found (kv or
 * json), its PTR lookup is started, and lines leave in the order they
 * came, each once its answer is in.  No DNS with res NULL (-N): every
 * source_hostname becomes "-".
 */
#ifndef PTRRESOLVE_WINDOW_H
#define PTRRESOLVE_WINDOW_H

#include <stddef.h>

#include "resolve.h"
#include "wbuf.h"

#define WINDOW		4096		/* lines waiting for answers */
#define WINDOW_BYTES	(32 * 1024 * 1024)	/* ... and their bytes */
#define LINE_MAX_BYTES	(16 * 1024 * 1024)

struct line {
	char		*buf;		/* with its newline, if any */
	size_t		 len;
	size_t		 voff, vlen;	/* source_hostname's value */
	int		 json;
	struct answer	*a;		/* NULL: written as it came */
};

struct run {
	struct resolver	*res;		/* NULL: -N */
	struct wbuf	*out;
	const char	*name;		/* the input, for messages */
	struct line	 win[WINDOW];
	size_t		 head, n;	/* the window, a ring */
	size_t		 bytes;		/* held in it */
	unsigned long	 lineno;
};

/*
 * All of one input, from fd to r->out.  Returns 0 (lines it could not
 * read were warned about and passed through), or an exit status.
 */
int	run_input(struct run *, int fd);

#endif
