#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "num.h"

static const char *const protocols[] = {
	"IMAP", "IMAPS", "POP3", "POP3S", "o365", NULL
};
static const char *const actions[] = { "move", "delete", "mark_read", NULL };
static const char *const outputs[] = { "json", "kv", NULL };
static const char *const facilities[] = {
	"daemon", "user", "mail", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL
};

#define NUM(lo, hi)	(lo), (hi), NULL
#define WORDS(w)	0, 0, (w)
#define ANY		0, 0, NULL

static const struct conf_key main_keys[] = {
	/* TA-dmarc's [main], its defaults */
	{ "skip_mail_download", CONF_BOOL, "0", ANY },
	{ "mailserver_host", CONF_STR, "", ANY },
	{ "mailserver_port", CONF_NUM, "", NUM(1, 65535) },
	{ "mailserver_protocol", CONF_WORD, "", WORDS(protocols) },
	{ "mailserver_mailboxfolder", CONF_STR, "Inbox", ANY },
	{ "mailserver_user", CONF_NONE, "", ANY },
	{ "mailserver_pwd", CONF_SECRET, "", ANY },
	{ "mailserver_action", CONF_WORD, "move", WORDS(actions) },
	{ "mailserver_moveto", CONF_STR, "Inbox/done/[YEAR]/week_[WEEK]", ANY },
	{ "o365_client_id", CONF_NONE, "", ANY },
	{ "o365_tenant_id", CONF_NONE, "", ANY },
	{ "o365_client_secret", CONF_SECRET, "", ANY },
	{ "output", CONF_WORD, "json", WORDS(outputs) },
	{ "resolve_ips", CONF_BOOL, "1", ANY },
	{ "log_level", CONF_NUM, "20", NUM(-1000000, 1000000) },
	{ "proxy_use", CONF_BOOL, "0", ANY },
	{ "proxy_server", CONF_STR, "", ANY },
	{ "proxy_username", CONF_NONE, "", ANY },
	{ "proxy_pwd", CONF_SECRET, "", ANY },
	/* ours */
	{ "spool", CONF_PATH, "/var/spool/dmarcpipe", ANY },
	{ "secrets_file", CONF_PATH, "", ANY },
	{ "tls_ca_file", CONF_PATH, "", ANY },
	{ "allow_plaintext", CONF_BOOL, "0", ANY },
	{ "subjects", CONF_STR, "", ANY },
	{ "o365_login_url", CONF_STR, "", ANY },
	{ "o365_graph_url", CONF_STR, "", ANY },
	{ "resolvers", CONF_ADDRS, "", ANY },
	{ "output_dir", CONF_PATH, "", ANY },
	{ "run_as", CONF_USER, "", ANY },
	{ "mailfetch_user", CONF_USER, "", ANY },
	{ "unzipd_user", CONF_USER, "", ANY },
	{ "rua2kv_user", CONF_USER, "", ANY },
	{ "ptrresolve_user", CONF_USER, "", ANY },
	{ "connect_timeout", CONF_NUM, "30", NUM(1, 3600) },
	{ "io_timeout", CONF_NUM, "60", NUM(1, 3600) },
	{ "max_messages", CONF_NUM, "1000", NUM(1, 1000000) },
	{ "poll_interval", CONF_NUM, "300", NUM(1, 86400) },
	{ "log_destination", CONF_LOG, "stderr", ANY },
	{ "log_max_bytes", CONF_NUM, "10485760", NUM(0, 1LL << 40) },
	{ "log_backups", CONF_NUM, "5", NUM(0, 99) },
	{ "syslog_socket", CONF_PATH, "/dev/log", ANY },
	{ "syslog_facility", CONF_WORD, "daemon", WORDS(facilities) },
	{ "retry_delay", CONF_NUM, "10", NUM(0, 3600) },
	{ "drop_quiet", CONF_NUM, "10", NUM(0, 86400) },
	{ NULL, 0, NULL, ANY }
};

static const char *const secret_keys[] = {
	"mailserver_pwd", "o365_client_secret", "proxy_pwd", NULL
};

static int
fail(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

static const struct conf_key *
main_key(const char *key)
{
	const struct conf_key	*k;

	for (k = main_keys; k->name != NULL; k++)
		if (strcmp(k->name, key) == 0)
			return k;
	return NULL;
}

static int
known(enum conf_kind kind, const char *key)
{
	const char *const	*k;

	if (kind == CONF_MAIN)
		return main_key(key) != NULL;
	for (k = secret_keys; *k; k++)
		if (strcmp(*k, key) == 0)
			return 1;
	return 0;
}

static int
word(const char *const *words, const char *v)
{
	for (; *words != NULL; words++)
		if (strcasecmp(*words, v) == 0)
			return 1;
	return 0;
}

/* "not one of a, b, c" into buf, or NULL when it doesn't fit. */
static const char *
not_one_of(char *buf, size_t len, const char *const *words)
{
	size_t	n = 0;
	int	m;

	for (; *words != NULL; words++) {
		m = snprintf(buf + n, len - n, "%s%s", n ? ", " :
		    "not one of ", *words);
		if (m < 0 || (size_t)m >= len - n)
			return NULL;
		n += (size_t)m;
	}
	return buf;
}

/* resolvers: "addr, addr:port, [v6]:port" (ptrresolve checks each). */
static int
addrs_ok(const char *v)
{
	size_t	n;

	for (;;) {
		v += strspn(v, " \t");
		if ((n = strspn(v, "0123456789abcdefABCDEF.:[]")) == 0)
			return 0;
		v += n;
		v += strspn(v, " \t");
		if (*v == '\0')
			return 1;
		if (*v++ != ',')
			return 0;
	}
}

/* What's wrong with the value of k, or NULL. */
static const char *
bad_value(const struct conf_key *k, const char *v, char *buf, size_t len)
{
	const char	*why;
	long long	 n;

	switch (k->type) {
	case CONF_BOOL:
		return conf_bool(v) == -1 ? "not a boolean (1 or 0, true or "
		    "false)" : NULL;
	case CONF_NUM:
		if (num_parse(v, k->min, k->max, &n, &why) == -1) {
			(void)snprintf(buf, len, "%s (%lld to %lld)", why,
			    k->min, k->max);
			return buf;
		}
		return NULL;
	case CONF_WORD:
		if (word(k->words, v))
			return NULL;
		return (why = not_one_of(buf, len, k->words)) != NULL ? why :
		    "not a word it may be";
	case CONF_PATH:
		return *v != '/' ? "not an absolute path" : NULL;
	case CONF_LOG:
		return *v != '/' && strcmp(v, "stderr") != 0 &&
		    strcmp(v, "syslog") != 0 ? "not stderr, syslog or the "
		    "absolute path of a file" : NULL;
	case CONF_ADDRS:
		return addrs_ok(v) ? NULL : "not a list of addresses "
		    "(\"127.0.0.1, 127.0.0.1:5353, [::1]:53\")";
	case CONF_USER:
		return strpbrk(v, " \t:/") != NULL ? "not a user name" :
		    NULL;
	default:
		return NULL;
	}
}

/* Every value set is checked here, so a program reading only some keys
 * still refuses a file another program would refuse. */
static int
check_values(struct conf *c, char *why, size_t whylen)
{
	const struct conf_key	*k;
	const char		*what;
	char			 buf[256];
	size_t			 i;

	for (i = 0; i < c->n; i++) {
		k = main_key(c->e[i].key);
		if (k->type == CONF_NONE && strcmp(c->e[i].val, "None") == 0)
			c->e[i].val[0] = '\0';	/* TA-dmarc's setup wrote it */
		if (c->e[i].val[0] == '\0')	/* TA-dmarc's "unset" */
			continue;
		if (strchr(c->e[i].val, '\n') != NULL && k->type != CONF_STR)
			what = "continues on an indented line; it is one line";
		else
			what = bad_value(k, c->e[i].val, buf, sizeof(buf));
		if (what != NULL)
			return fail(why, whylen, "%s:%d: %s: %s", c->path,
			    c->e[i].line, k->name, what);
	}
	return 0;
}

static char *
trim(char *s)
{
	size_t	n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static void
wipe(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
}

/* A continuation line: value += "\n" line. */
static int
extend(struct conf_entry *e, const char *more)
{
	size_t	 a = strlen(e->val), b = strlen(more);
	char	*v;

	if ((v = malloc(a + b + 2)) == NULL)
		return -1;
	memcpy(v, e->val, a);
	v[a] = '\n';
	memcpy(v + a + 1, more, b + 1);
	wipe(e->val);
	free(e->val);
	e->val = v;
	return 0;
}

static int
add(struct conf *c, const char *key, const char *val, int line)
{
	struct conf_entry	*e;

	e = reallocarray(c->e, c->n + 1, sizeof(*e));
	if (e == NULL)
		return -1;
	c->e = e;
	e = &c->e[c->n];
	e->key = strdup(key);
	e->val = strdup(val);
	e->line = line;
	if (e->key == NULL || e->val == NULL) {
		free(e->key);
		free(e->val);
		return -1;
	}
	c->n++;
	return 0;
}

/*
 * One line of the file.  *state: 0 before anything, 1 after a stanza
 * header, 2 after a key (which an indented line may continue).
 */
static int
parse_line(struct conf *c, enum conf_kind kind, char *s, int line,
    int *state, char *why, size_t whylen)
{
	const char	*p = c->path;
	char		*key, *val, *sep;
	size_t		 i;

	if (*s == ' ' || *s == '\t') {
		val = trim(s);
		if (*val == '\0')
			return 0;
		if (*state != 2)
			return fail(why, whylen, "%s:%d: an indented line "
			    "continues no key", p, line);
		if (extend(&c->e[c->n - 1], val) == -1)
			return fail(why, whylen, "%s: %s", p, strerror(errno));
		return 0;
	}
	s = trim(s);
	if (*s == '\0' || *s == '#' || *s == ';')
		return 0;
	if (*s == '[') {
		if ((sep = strchr(s, ']')) == NULL || sep[1] != '\0')
			return fail(why, whylen, "%s:%d: a stanza header is "
			    "\"[main]\"", p, line);
		*sep = '\0';
		if (strcmp(s + 1, "main") != 0)
			return fail(why, whylen, "%s:%d: unknown stanza [%s]; "
			    "all keys belong in [main]", p, line, s + 1);
		*state = 1;
		return 0;
	}
	*state = 2;	/* keys before any stanza are [main]'s */
	sep = s + strcspn(s, "=:");
	if (*sep == '\0')
		return fail(why, whylen, "%s:%d: not \"key = value\"", p, line);
	*sep = '\0';
	key = trim(s);
	val = trim(sep + 1);
	for (i = 0; key[i] != '\0'; i++)
		key[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ?
		    key[i] - 'A' + 'a' : key[i]);
	if (*key == '\0')
		return fail(why, whylen, "%s:%d: a value without a key", p,
		    line);
	if (!known(kind, key))
		return fail(why, whylen, "%s:%d: unknown key \"%s\"%s", p,
		    line, key, kind == CONF_SECRETS ? " (a secrets file "
		    "holds mailserver_pwd, o365_client_secret and proxy_pwd)"
		    : "");
	if (conf_line(c, key) != 0)
		return fail(why, whylen, "%s:%d: \"%s\" again (first set on "
		    "line %d)", p, line, key, conf_line(c, key));
	if (add(c, key, val, line) == -1)
		return fail(why, whylen, "%s: %s", p, strerror(errno));
	return 0;
}

static int
check_secret(int fd, const char *path, long owner, char *why, size_t whylen)
{
	struct stat	sb;

	if (fstat(fd, &sb) == -1)
		return fail(why, whylen, "%s: %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return fail(why, whylen, "%s: not a regular file", path);
	if (sb.st_uid != geteuid() && sb.st_uid != 0 &&
	    (long)sb.st_uid != owner)
		return fail(why, whylen, "%s: owned by uid %lu, not by us or "
		    "root", path, (unsigned long)sb.st_uid);
	if ((sb.st_mode & 077) != 0)
		return fail(why, whylen, "%s: mode %04o lets others read or "
		    "change the secrets; chmod 600 it", path,
		    (unsigned)(sb.st_mode & 07777));
	return 0;
}

int
conf_read(struct conf *c, int fd, const char *path, enum conf_kind kind,
    long owner, char *why, size_t whylen)
{
	char	*buf, *s, *nl;
	size_t	 len = 0;
	ssize_t	 r;
	int	 line = 0, state = 0, rc = -1;

	memset(c, 0, sizeof(*c));
	(void)snprintf(c->path, sizeof(c->path), "%s", path);
	c->secret = kind == CONF_SECRETS;
	if (c->secret && check_secret(fd, path, owner, why, whylen) == -1)
		return -1;
	if ((buf = malloc(CONF_FILE_MAX + 1)) == NULL)
		return fail(why, whylen, "%s: %s", path, strerror(errno));
	while ((r = read(fd, buf + len, CONF_FILE_MAX + 1 - len)) > 0)
		if ((len += (size_t)r) > CONF_FILE_MAX)
			break;
	if (r == -1) {
		(void)fail(why, whylen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (len > CONF_FILE_MAX) {
		(void)fail(why, whylen, "%s: longer than %d bytes", path,
		    CONF_FILE_MAX);
		goto out;
	}
	buf[len] = '\0';
	if (strlen(buf) != len) {
		(void)fail(why, whylen, "%s: holds a NUL byte", path);
		goto out;
	}
	for (s = buf; *s != '\0'; s = nl) {
		line++;
		if ((nl = strchr(s, '\n')) != NULL)
			*nl++ = '\0';
		else
			nl = s + strlen(s);
		if (strlen(s) > CONF_LINE_MAX) {
			(void)fail(why, whylen, "%s:%d: longer than %d bytes",
			    path, line, CONF_LINE_MAX);
			goto out;
		}
		if (parse_line(c, kind, s, line, &state, why, whylen) == -1)
			goto out;
	}
	if (kind == CONF_MAIN && check_values(c, why, whylen) == -1)
		goto out;
	rc = 0;
out:
	explicit_bzero(buf, len < CONF_FILE_MAX ? len : CONF_FILE_MAX);
	free(buf);
	if (rc == -1)
		conf_free(c);
	return rc;
}

void
conf_free(struct conf *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++) {
		if (c->secret)
			wipe(c->e[i].val);
		free(c->e[i].key);
		free(c->e[i].val);
	}
	free(c->e);
	c->e = NULL;
	c->n = 0;
}

static const struct conf_entry *
find(const struct conf *c, const char *key)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->e[i].key, key) == 0)
			return &c->e[i];
	return NULL;
}

const char *
conf_get(const struct conf *c, const char *key)
{
	const struct conf_entry	*e = find(c, key);

	return e ? e->val : NULL;
}

const char *
conf_value(const struct conf *c, const char *key)
{
	const struct conf_key	*k;
	const char		*v = conf_get(c, key);

	if (v != NULL && *v != '\0')
		return v;
	return (k = main_key(key)) != NULL ? k->dflt : "";
}

long long
conf_number(const struct conf *c, const char *key)
{
	long long	 n;
	const char	*why;

	return num_parse(conf_value(c, key), -(1LL << 62), 1LL << 62, &n,
	    &why) == -1 ? 0 : n;
}

const struct conf_key *
conf_keys(void)
{
	return main_keys;
}

int
conf_line(const struct conf *c, const char *key)
{
	const struct conf_entry	*e = find(c, key);

	return e ? e->line : 0;
}

int
conf_bool(const char *s)
{
	static const char *const yes[] = { "1", "true", "t", "yes", NULL };
	static const char *const no[] = { "0", "false", "f", "no", NULL };
	int	i;

	for (i = 0; yes[i] != NULL; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (i = 0; no[i] != NULL; i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -1;
}
