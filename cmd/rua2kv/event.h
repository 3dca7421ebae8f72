/*
 * One event line per record, in the json or kv shape of
 * shared/spec/output.md (TA-dmarc's json made lossless; SA-dmarc's
 * prefixed kv names).
 */
#ifndef RUA2KV_EVENT_H
#define RUA2KV_EVENT_H

#include "report.h"
#include "wbuf.h"

enum event_format { FORMAT_JSON, FORMAT_KV };

/* event_id: 24 hexadecimal digits for the report, 8 to 16 for the record */
#define EVENT_ID_MAX	40

struct event_ctx {
	enum event_format	 format;
	const char		*file_name;	/* NULL: left out (stdin) */
	int			 have_base;
	char			 idbase[24];	/* the report's part of ids */
	int			 have_head;
	unsigned long		 head_gen;	/* header->gen head is for */
	int			 head_n;	/* members written in head */
	struct wbuf		 head;		/* the line's header part */
};

/* At each report's start. */
void	event_report(struct event_ctx *);
/* Append the record's line, newline included, to `w`. */
void	event_write(struct event_ctx *, struct wbuf *w, const struct header *,
	    const struct record *);

#endif
