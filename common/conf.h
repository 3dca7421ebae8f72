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

/* What a main key's value may be; an empty value always means the default. */
enum conf_type {
	CONF_STR,	/* anything */
	CONF_NONE,	/* anything; TA-dmarc's "None" is read as empty */
	CONF_SECRET,	/* TA-dmarc's "configured": the secret is elsewhere */
	CONF_BOOL,	/* see conf_bool() */
	CONF_NUM,	/* an integer in [min, max] */
	CONF_WORD,	/* one of words[], in any case */
	CONF_PATH,	/* an absolute path */
	CONF_LOG,	/* stderr, syslog or an absolute path */
	CONF_ADDRS,	/* resolver addresses, comma-separated */
	CONF_USER,	/* a user name */
};

struct conf_key {
	const char		*name;
	enum conf_type		 type;
	const char		*dflt;	/* "" when none or computed */
	long long		 min, max;
	const char *const	*words;
};

/* Which keys a file may hold. */
enum conf_kind { CONF_MAIN, CONF_SECRETS };

/*
 * Read the file open on fd (named path, for messages).  A secrets file
 * must be a regular file owned by us, root or `owner` (the user we are
 * about to become; -1 for none), not readable or writable by group or
 * others.  Every value a main file sets is checked against its key's
 * type.  Returns 0, or -1 with a reason naming the file and line in
 * why[].
 */
int		conf_read(struct conf *, int fd, const char *path,
		    enum conf_kind, long owner, char *why, size_t whylen);
void		conf_free(struct conf *);

/* The value of key, or NULL when the file doesn't set it. */
const char	*conf_get(const struct conf *, const char *key);
/* A main key's value, or its default when the file doesn't set it. */
const char	*conf_value(const struct conf *, const char *key);
/* The number conf_value() gives for a CONF_NUM key (0 when none). */
long long	conf_number(const struct conf *, const char *key);
/* Every main key, ending with a NULL name. */
const struct conf_key *conf_keys(void);
/* The line that set key, or 0. */
int		conf_line(const struct conf *, const char *key);

/*
 * A boolean as TA-dmarc writes them (1 0 true false t f, and yes no), in
 * any case.  Returns 0 or 1, or -1 for anything else.
 */
int		conf_bool(const char *);

#endif
