/*
 * Every limit on hostile input, in one place (DESIGN.md section 5).
 * Programs start from these defaults and let the user override each one
 * with -L name=value; limits_set() knows the names.  The man pages list
 * the same names and defaults: change both together.
 */
#ifndef DP_LIMIT_H
#define DP_LIMIT_H

#include <stddef.h>

#define KIB	((long long)1024)
#define MIB	(KIB * 1024)

struct limits {
	long long	xml_depth;	/* element nesting in a report */
	long long	xml_attributes;	/* attributes of one element */
	long long	xml_text;	/* bytes of text in one element */
	long long	record_bytes;	/* bytes of values kept for one record */
	long long	record_items;	/* dkim/spf/reason/error entries */
	long long	event_ratio;	/* event bytes per byte of a report */
	long long	message_bytes;	/* one mail or dropped file, as read */
	long long	mime_depth;	/* multiparts and message/rfc822 nested */
	long long	mime_parts;	/* parts in one message */
	long long	report_bytes;	/* decompressed, per input, counted */
	long long	ratio;		/* decompressed bytes per compressed */
	long long	nesting;	/* compression layers (gzip in gzip) */
	long long	entries;	/* members of one zip */
};

#define LIMIT_XML_DEPTH		32
#define LIMIT_XML_ATTRIBUTES	64
#define LIMIT_XML_TEXT		(64 * KIB)
#define LIMIT_RECORD_BYTES	(1 * MIB)
#define LIMIT_RECORD_ITEMS	1000
#define LIMIT_EVENT_RATIO	50
#define LIMIT_MESSAGE_BYTES	(50 * MIB)
#define LIMIT_MIME_DEPTH	8
#define LIMIT_MIME_PARTS	256
#define LIMIT_REPORT_BYTES	(100 * MIB)
#define LIMIT_RATIO		1000
#define LIMIT_NESTING		2
#define LIMIT_ENTRIES		64

void	limits_default(struct limits *);

/*
 * Parse "name=value" into *l.  Returns 0, or -1 with a static reason in
 * *why ("unknown limit", "not a number in 1..N").
 */
int	limits_set(struct limits *l, const char *nameval, const char **why);

#endif
