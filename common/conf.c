#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"

static const char *const main_keys[] = {
	/* TA-dmarc's [main] */
	"skip_mail_download", "mailserver_host", "mailserver_port",
	"mailserver_protocol", "mailserver_mailboxfolder", "mailserver_user",
	"mailserver_pwd", "mailserver_action", "mailserver_moveto",
	"o365_client_id", "o365_tenant_id", "o365_client_secret", "output",
	"resolve_ips", "log_level", "proxy_use", "proxy_server",
	"proxy_username", "proxy_pwd",
	/* ours */
	"spool", "secrets_file", "tls_ca_file", "allow_plaintext", "subjects",
	"o365_login_url", "o365_graph_url", "resolvers", "output_dir",
	"run_as", "connect_timeout", "io_timeout", "max_messages",
	"poll_interval",
	NULL
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

static int
known(enum conf_kind kind, const char *key)
{
	const char *const	*k;

	for (k = kind == CONF_SECRETS ? secret_keys : main_keys; *k; k++)
		if (strcmp(*k, key) == 0)
			return 1;
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
