#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sha256.h"
#include "spool.h"
#include "state.h"

#define STATE_FILE_MAX	(256L * 1024 * 1024)
#define MAGIC		"mailfetch-state 1"

static uint64_t
hash(const char *s)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

static struct sent *
slot(struct sent *tab, size_t cap, const char *key)
{
	size_t	i = (size_t)hash(key) & (cap - 1);

	while (tab[i].key != NULL && strcmp(tab[i].key, key) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static int
grow(struct state *st)
{
	struct sent	*nt, *e;
	size_t		 ncap = st->cap ? st->cap * 2 : 1024, i;

	if ((nt = calloc(ncap, sizeof(*nt))) == NULL)
		return -1;
	for (i = 0; i < st->cap; i++)
		if (st->tab[i].key != NULL) {
			e = slot(nt, ncap, st->tab[i].key);
			*e = st->tab[i];
		}
	free(st->tab);
	st->tab = nt;
	st->cap = ncap;
	return 0;
}

struct sent *
state_get(struct state *st, const char *key)
{
	struct sent	*e;

	if (st->cap == 0)
		return NULL;
	e = slot(st->tab, st->cap, key);
	return e->key ? e : NULL;
}

static int
apply(struct state *st, char kind, const char *key, const char *name,
    const char *date)
{
	struct sent	*e;
	char		*nn = NULL;

	if ((st->n + 1) * 2 > st->cap && grow(st) == -1)
		return -1;
	if (name != NULL && (nn = strdup(name)) == NULL)
		return -1;
	e = slot(st->tab, st->cap, key);
	if (e->key == NULL) {
		if ((e->key = strdup(key)) == NULL) {
			free(nn);
			return -1;
		}
		st->n++;
	}
	free(e->name);
	e->name = nn;
	e->kind = kind;
	(void)snprintf(e->date, sizeof(e->date), "%s", date ? date : "-");
	return 0;
}

static int
key_ok(const char *k)
{
	size_t	n = strlen(k), i;

	if (n == 0 || n > STATE_KEY_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (k[i] <= 0x20 || k[i] >= 0x7f)
			return 0;
	return 1;
}

/* One line of the journal.  Returns 0, or -1 when it isn't one. */
static int
load_line(struct state *st, char *s)
{
	char	*f[5];
	int	 n = 0;

	while (n < 5 && (f[n] = strsep(&s, " ")) != NULL)
		n++;
	if (s != NULL)
		return -1;
	if (n == 2 && strcmp(f[0], "validity") == 0)
		return snprintf(st->validity, sizeof(st->validity), "%s",
		    f[1]) < (int)sizeof(st->validity) ? 0 : -1;
	if (n == 2 && strcmp(f[0], "subjects") == 0)
		return snprintf(st->subjects, sizeof(st->subjects), "%s",
		    f[1]) < (int)sizeof(st->subjects) ? 0 : -1;
	if (strlen(f[0]) != 1 || !key_ok(f[1]))
		return -1;
	if (n == 2 && (f[0][0] == 'i' || f[0][0] == 'd'))
		return apply(st, f[0][0], f[1], NULL, NULL);
	if (n == 4 && f[0][0] == 'p' && strlen(f[3]) <= STATE_DATE_MAX)
		return apply(st, 'p', f[1], f[2], f[3]);
	return -1;
}

static int
load(struct state *st, int fd, char *why, size_t whylen)
{
	struct stat	 sb;
	char		*buf, *s, *nl;
	size_t		 len = 0;
	ssize_t		 r = 0;
	int		 line = 0;

	if (fstat(fd, &sb) == -1 || sb.st_size > STATE_FILE_MAX) {
		(void)snprintf(why, whylen, "state/%s: %s", st->file,
		    errno ? strerror(errno) : "too big");
		return -1;
	}
	if (sb.st_size == 0) {		/* new: say what it is */
		if (write(fd, MAGIC "\n", sizeof(MAGIC)) != sizeof(MAGIC)) {
			(void)snprintf(why, whylen, "state/%s: %s", st->file,
			    errno ? strerror(errno) : "short write");
			return -1;
		}
		return 0;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL)
		return -1;
	while (len < (size_t)sb.st_size &&
	    (r = read(fd, buf + len, (size_t)sb.st_size - len)) > 0)
		len += (size_t)r;
	if (r == -1) {
		(void)snprintf(why, whylen, "state/%s: %s", st->file,
		    strerror(errno));
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	for (s = buf; (nl = memchr(s, '\n', len - (size_t)(s - buf))) != NULL;
	    s = nl + 1) {
		*nl = '\0';
		line++;
		if (line == 1 ? strcmp(s, MAGIC) != 0 :
		    load_line(st, s) == -1) {
			(void)snprintf(why, whylen, "state/%s:%d: not a line "
			    "mailfetch writes; move the file away to start "
			    "over (mails still on the server are then fetched "
			    "again)", st->file, line);
			free(buf);
			return -1;
		}
	}
	/* what is left without a newline is a write a crash cut short */
	free(buf);
	return 0;
}

int
state_open(struct state *st, int dir, const char *id, char *why,
    size_t whylen)
{
	struct sha256	 h;
	unsigned char	 d[32];
	const char	*colon = strchr(id, ':');
	int		 fd, i, n;

	memset(st, 0, sizeof(*st));
	st->dir = dir;
	st->fd = -1;
	(void)snprintf(st->validity, sizeof(st->validity), "-");
	sha256_init(&h);
	sha256_update(&h, id, strlen(id));
	sha256_final(&h, d);
	n = snprintf(st->file, sizeof(st->file), "%.*s-",
	    colon ? (int)(colon - id) : 4, id);
	for (i = 0; i < 8; i++)
		n += snprintf(st->file + n, sizeof(st->file) - (size_t)n,
		    "%02x", d[i]);
	fd = openat(dir, st->file, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		(void)snprintf(why, whylen, "state/%s: %s", st->file,
		    strerror(errno));
		return -1;
	}
	errno = 0;
	if (load(st, fd, why, whylen) == -1) {
		(void)close(fd);
		(void)state_close(st);
		return -1;
	}
	st->fd = fd;
	return 0;
}

int
state_close(struct state *st)
{
	size_t	i;
	int	rc = 0;

	for (i = 0; i < st->cap; i++) {
		free(st->tab[i].key);
		free(st->tab[i].name);
	}
	free(st->tab);
	st->tab = NULL;
	st->cap = st->n = 0;
	if (st->fd != -1)
		rc = close(st->fd);
	st->fd = -1;
	return rc;
}

static int
record(char *buf, size_t cap, char kind, const char *key, const char *name,
    const char *date)
{
	if (kind == 'p')
		return snprintf(buf, cap, "p %s %s %s\n", key, name,
		    date ? date : "-");
	return snprintf(buf, cap, "%c %s\n", kind, key);
}

int
state_note(struct state *st, char kind, const char *key, const char *name,
    const char *date, int sync)
{
	char	buf[STATE_KEY_MAX + SPOOL_NAME_MAX + 32];
	int	n;

	if (!key_ok(key) || (kind == 'p' && (name == NULL ||
	    strchr(name, ' ') != NULL))) {
		errno = EINVAL;
		return -1;
	}
	n = record(buf, sizeof(buf), kind, key, name, date);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (write(st->fd, buf, (size_t)n) != n) {
		if (errno == 0)
			errno = ENOSPC;
		return -1;
	}
	if (sync && fsync(st->fd) == -1)
		return -1;
	return apply(st, kind, key, name, date);
}

/* Write the live entries to fd. */
static int
dump(struct state *st, int fd)
{
	char	 buf[STATE_KEY_MAX + SPOOL_NAME_MAX + 32];
	size_t	 i;
	int	 n;
	FILE	*f;

	if ((f = fdopen(fd, "w")) == NULL)
		return -1;
	(void)fprintf(f, "%s\nvalidity %s\nsubjects %s\n", MAGIC,
	    st->validity, st->subjects);
	for (i = 0; i < st->cap; i++) {
		if (st->tab[i].key == NULL || !st->tab[i].live)
			continue;
		n = record(buf, sizeof(buf), st->tab[i].kind, st->tab[i].key,
		    st->tab[i].name, st->tab[i].date);
		if (n > 0 && (size_t)n < sizeof(buf))
			(void)fputs(buf, f);
	}
	if (fflush(f) == EOF || ferror(f) || fsync(fd) == -1) {
		(void)fclose(f);
		return -1;
	}
	return fclose(f) == EOF ? -1 : 0;
}

int
state_rewrite(struct state *st, const char *validity, const char *subjects)
{
	char		 tmp[96];
	struct sent	*old = st->tab;
	size_t		 ocap = st->cap, i;
	int		 fd, nfd, ofd, saved;

	(void)snprintf(st->validity, sizeof(st->validity), "%s", validity);
	(void)snprintf(st->subjects, sizeof(st->subjects), "%s", subjects);
	(void)snprintf(tmp, sizeof(tmp), ".%s.tmp", st->file);
	fd = openat(st->dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (dump(st, fd) == -1 ||
	    renameat(st->dir, tmp, st->dir, st->file) == -1) {
		saved = errno;
		(void)unlinkat(st->dir, tmp, 0);
		errno = saved;
		return -1;
	}
	if (fsync(st->dir) == -1)
		return -1;
	nfd = openat(st->dir, st->file, O_WRONLY | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC);
	if (nfd == -1)
		return -1;
	/*
	 * The old journal is replaced, but a close that fails says the
	 * disk is in trouble: the pass ends here, as for any other.
	 */
	ofd = st->fd;
	st->fd = nfd;
	if (close(ofd) == -1)
		return -1;
	/* keep the live entries only */
	st->tab = NULL;
	st->cap = st->n = 0;
	for (i = 0; i < ocap; i++) {
		if (old[i].key != NULL && old[i].live &&
		    apply(st, old[i].kind, old[i].key, old[i].name,
		    old[i].date) == -1)
			return -1;
		free(old[i].key);
		free(old[i].name);
	}
	free(old);
	return 0;
}

void
state_each(struct state *st, void (*fn)(void *, struct sent *), void *arg)
{
	size_t	i;

	for (i = 0; i < st->cap; i++)
		if (st->tab[i].key != NULL)
			fn(arg, &st->tab[i]);
}
