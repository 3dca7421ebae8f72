/*
 * Streaming parse of one input (a file or stdin) that holds one or more
 * aggregate reports.  Records are handed to the sink as each </record>
 * closes; nothing but the current record and the report's header is
 * kept in memory.
 */
#ifndef RUA2KV_PARSE_H
#define RUA2KV_PARSE_H

#include "limit.h"
#include "report.h"

struct sink {
	void	*arg;
	/* A <feedback> starts.  Report numbers count from 1 per input. */
	int	(*begin)(void *arg, unsigned long report);
	/* Returns the bytes of the record's event, or -1 to stop. */
	long long (*record)(void *arg, const struct header *,
		    const struct record *);
	/*
	 * The report ends: why is NULL when it is complete, else the reason
	 * it is refused ("line 12: ...").  Called for every begin, and also
	 * for a document that fails before its <feedback>.
	 */
	int	(*end)(void *arg, unsigned long report, const char *why);
	/* The others return 0, or -1 to stop (output failed). */
};

enum parse_result {
	PARSE_OK,	/* every report complete */
	PARSE_BAD,	/* at least one report refused; the others done */
	PARSE_READ,	/* reading the input failed (errno) */
	PARSE_STOP,	/* a sink callback asked to stop */
};

/* Call once, before the sandbox: loads what the XML parser needs. */
void	parse_setup(void);

enum parse_result parse_input(int fd, const char *name,
		    const struct limits *, struct sink *);

#endif
