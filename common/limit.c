/*
 * Limit defaults and the -L name=value parser.  The table is the one
 * place that maps a user-visible name to a field and its allowed range.
 */
#include <stddef.h>
#include <string.h>

#include "limit.h"
#include "num.h"

static const struct {
	const char	*name;
	size_t		 off;
	long long	 min, max;
} limit_tab[] = {
	{ "xml_depth", offsetof(struct limits, xml_depth), 2, 10000 },
	{ "xml_attributes", offsetof(struct limits, xml_attributes), 1,
	    100000 },
	{ "xml_text", offsetof(struct limits, xml_text), 1, 10 * 1000 * 1000 },
	{ "record_bytes", offsetof(struct limits, record_bytes), 1024,
	    1024 * MIB },
	{ "record_items", offsetof(struct limits, record_items), 1, 1000000 },
	{ "event_ratio", offsetof(struct limits, event_ratio), 1, 1000000 },
	{ "message_bytes", offsetof(struct limits, message_bytes), 1024,
	    1024 * MIB },
	{ "mime_depth", offsetof(struct limits, mime_depth), 1, 100 },
	{ "mime_parts", offsetof(struct limits, mime_parts), 1, 100000 },
	{ "report_bytes", offsetof(struct limits, report_bytes), 1024,
	    64 * 1024 * MIB },
	{ "ratio", offsetof(struct limits, ratio), 1, 1000000 },
	{ "nesting", offsetof(struct limits, nesting), 1, 8 },
	{ "entries", offsetof(struct limits, entries), 1, 100000 },
};

void
limits_default(struct limits *l)
{
	l->xml_depth = LIMIT_XML_DEPTH;
	l->xml_attributes = LIMIT_XML_ATTRIBUTES;
	l->xml_text = LIMIT_XML_TEXT;
	l->record_bytes = LIMIT_RECORD_BYTES;
	l->record_items = LIMIT_RECORD_ITEMS;
	l->event_ratio = LIMIT_EVENT_RATIO;
	l->message_bytes = LIMIT_MESSAGE_BYTES;
	l->mime_depth = LIMIT_MIME_DEPTH;
	l->mime_parts = LIMIT_MIME_PARTS;
	l->report_bytes = LIMIT_REPORT_BYTES;
	l->ratio = LIMIT_RATIO;
	l->nesting = LIMIT_NESTING;
	l->entries = LIMIT_ENTRIES;
}

int
limits_set(struct limits *l, const char *nameval, const char **why)
{
	const char	*eq;
	size_t		 i, n;
	long long	 v;

	if ((eq = strchr(nameval, '=')) == NULL) {
		*why = "expected name=value";
		return -1;
	}
	n = (size_t)(eq - nameval);
	for (i = 0; i < sizeof(limit_tab) / sizeof(limit_tab[0]); i++) {
		if (strlen(limit_tab[i].name) != n ||
		    strncmp(limit_tab[i].name, nameval, n) != 0)
			continue;
		if (num_parse(eq + 1, limit_tab[i].min, limit_tab[i].max, &v,
		    why) == -1)
			return -1;
		*(long long *)(void *)((char *)l + limit_tab[i].off) = v;
		return 0;
	}
	*why = "unknown limit";
	return -1;
}
