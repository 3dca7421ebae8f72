/*
 * dmarcpipe.conf and its secrets file (DESIGN.md section 6), read the way
 * TA-dmarc reads ta-dmarc.conf (Python's RawConfigParser): "key = value"
 * or "key: value" lines in a [main] stanza, keys in any case, '#' and ';'
 * starting a comment line, indented lines continuing the value before.
 * Unlike RawConfigParser, keys before the first stanza belong to [main],
 * and every key must be one we know: a misspelt key is an error naming
 * its line, not a setting silently ignored.
 */
#ifndef DP_CONF_H
#define DP_CONF_H

#include <stddef.h>

#define CONF_LINE_MAX	4096	/* bytes of one line */
#define CONF_FILE_MAX	(1024 * 1024)

struct conf_entry {
	char	*key;		/* lower-cased */
	char	*val;
	int	 line;
};

struct conf {
	char			 path[1024];
	struct conf_entry	*e;
	size_t			 n;
	int			 secret;	/* wipe the values when freed */
};

/* Which keys a file may hold. */
enum conf_kind { CONF_MAIN, CONF_SECRETS };

/*
 * Read the file open on fd (named path, for messages).  A secrets file
 * must be a regular file owned by us, root or `owner` (the user we are
 * about to become; -1 for none), not readable or writable by group or
 * others.  Returns 0, or -1 with a reason naming the file and line in
 * why[].
 */
int		conf_read(struct conf *, int fd, const char *path,
		    enum conf_kind, long owner, char *why, size_t whylen);
void		conf_free(struct conf *);

/* The value of key, or NULL when the file doesn't set it. */
const char	*conf_get(const struct conf *, const char *key);
/* The line that set key, or 0. */
int		conf_line(const struct conf *, const char *key);

/*
 * A boolean as TA-dmarc writes them (1 0 true false t f, and yes no), in
 * any case.  Returns 0 or 1, or -1 for anything else.
 */
int		conf_bool(const char *);

#endif
