/*
 * IMAP4rev1 (RFC 3501), the part mailfetch needs, over a session libcurl
 * logged in: SELECT, UID SEARCH, UID FETCH with BODY.PEEK (so nothing is
 * marked read by looking), UID STORE, UID EXPUNGE (UIDPLUS), UID MOVE
 * (RFC 6851) or COPY, CREATE on TRYCREATE.  Responses are parsed as they
 * come: a literal's bytes go straight to where they belong (a spool
 * file, a small buffer, nowhere) and are never held whole.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mailfetch.h"

#define BATCH		256		/* UIDs per header FETCH */
#define FETCH_BATCH	64		/* messages per body FETCH */
#define ACT_BATCH	64		/* UIDs per action command */

struct imap {
	struct fetch	*f;
	struct conn	*c;
	struct state	 st;
	enum conn_fault	 fault;
	int		 has_move, has_uidplus, expunge;
	int		 refusals;	/* actions the server refused */
	int		 bye_ok;	/* LOGOUT: BYE is the answer */
	char		 validity[24];
	char		 delim;		/* the hierarchy separator */
	char		 folder[1024];	/* f->folder, quoted for the wire */
	char		 text[512];	/* the last tagged response's text */
	char		 created[1024];	/* the move-to folder known to exist */
};

static unsigned	tagno;		/* one tag sequence for the session */

/* Where a response is being read: a line, and a position in it. */
struct cur {
	struct imap	*im;
	char		*line, *p;
	size_t		 len;
};

typedef void	(*untagged_fn)(struct cur *, void *arg);

/* ---------------------------------------------------------- lexing */

static void
ws(struct cur *k)
{
	while (*k->p == ' ')
		k->p++;
}

/* Is the rest of the line "{n}" or "{n+}"?  Then n. */
static int
literal(struct cur *k, unsigned long long *n)
{
	char	*e;

	ws(k);
	if (*k->p != '{')
		return 0;
	errno = 0;
	*n = strtoull(k->p + 1, &e, 10);
	if (errno != 0 || e == k->p + 1)
		return 0;
	if (*e == '+')
		e++;
	return e[0] == '}' && e[1] == '\0';
}

static int
next_line(struct cur *k)
{
	enum conn_fault	f;

	if ((f = conn_line(k->im->c, &k->line, &k->len)) != CONN_OK) {
		k->im->fault = f;
		return -1;
	}
	k->p = k->line;
	return 0;
}

/* Throw a literal's n bytes away and go on with the next line. */
static int
skip_literal(struct cur *k, unsigned long long n)
{
	enum conn_fault	f;
	int		sunk;

	if ((f = conn_bytes(k->im->c, n, NULL, NULL, &sunk)) != CONN_OK) {
		k->im->fault = f;
		return -1;
	}
	return next_line(k);
}

/*
 * An atom, number or item name; brackets may hold spaces and
 * parentheses ("BODY[HEADER.FIELDS (SUBJECT)]").  Copied to buf.
 */
static int
atom(struct cur *k, char *buf, size_t cap)
{
	size_t	n = 0;
	int	br = 0;

	ws(k);
	while (*k->p != '\0' && (br || (*k->p != ' ' && *k->p != '(' &&
	    *k->p != ')' && *k->p != '"' && *k->p != '{'))) {
		if (*k->p == '[')
			br++;
		else if (*k->p == ']' && br > 0)
			br--;
		if (n + 1 < cap)
			buf[n++] = *k->p;
		k->p++;
	}
	buf[n] = '\0';
	return n > 0 ? 0 : -1;
}

/* A quoted string, unescaped into buf (cut to cap). */
static int
quoted(struct cur *k, char *buf, size_t cap)
{
	size_t	n = 0;

	ws(k);
	if (*k->p != '"')
		return -1;
	for (k->p++; *k->p != '"'; k->p++) {
		if (*k->p == '\0')
			return -1;
		if (*k->p == '\\' && k->p[1] != '\0')
			k->p++;
		if (n + 1 < cap)
			buf[n++] = *k->p;
	}
	k->p++;
	buf[n] = '\0';
	return 0;
}

/* Skip one value of any kind: atom, quoted, literal, list. */
static int
skip_value(struct cur *k)
{
	unsigned long long	n;
	char			tmp[64];
	int			depth = 0;

	do {
		ws(k);
		if (literal(k, &n)) {
			if (skip_literal(k, n) == -1)
				return -1;
		} else if (*k->p == '(') {
			k->p++;
			depth++;
		} else if (*k->p == ')') {
			if (depth == 0)
				return -1;
			k->p++;
			depth--;
		} else if (*k->p == '"') {
			if (quoted(k, tmp, sizeof(tmp)) == -1)
				return -1;
		} else if (atom(k, tmp, sizeof(tmp)) == -1)
			return -1;
	} while (depth > 0);
	return 0;
}

/* The rest of a response: literals at line ends are read and dropped. */
static int
finish(struct cur *k)
{
	unsigned long long	n;
	char			*q;

	for (;;) {
		if ((q = strrchr(k->p, '{')) == NULL)
			return 0;
		k->p = q;
		if (!literal(k, &n))
			return 0;
		if (skip_literal(k, n) == -1)
			return -1;
	}
}

/* ---------------------------------------------------------- commands */

/*
 * Send a command and read its responses up to the tagged one.  Returns
 * 0 for OK, 1 for NO, 2 for BAD, -1 when the session broke (im->fault).
 */
static int
cmd(struct imap *im, untagged_fn fn, void *arg, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
cmd(struct imap *im, untagged_fn fn, void *arg, const char *fmt, ...)
{
	char		 buf[8192], tag[16], word[16];
	struct cur	 k = { im, NULL, NULL, 0 };
	va_list		 ap;
	int		 n, t;
	enum conn_fault	 f;

	(void)snprintf(tag, sizeof(tag), "m%u", ++tagno);
	n = snprintf(buf, sizeof(buf), "%s ", tag);
	va_start(ap, fmt);
	t = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 2, fmt, ap);
	va_end(ap);
	if (t < 0 || (size_t)(n + t) >= sizeof(buf) - 2) {
		im->fault = CONN_PROTOCOL;
		return -1;
	}
	n += t;
	buf[n++] = '\r';
	buf[n++] = '\n';
	if ((f = conn_send(im->c, buf, (size_t)n)) != CONN_OK) {
		im->fault = f;
		return -1;
	}
	for (;;) {
		if (next_line(&k) == -1)
			return -1;
		if (strncmp(k.line, "* ", 2) == 0) {
			k.p = k.line + 2;
			if (strncasecmp(k.p, "BYE", 3) == 0 && !im->bye_ok) {
				log_errorx("%s: the server ends the session: "
				    "%.200s", im->f->srv.host, k.line);
				im->fault = CONN_UNREACHABLE;
				return -1;
			}
			if (fn != NULL)
				fn(&k, arg);
			if (im->fault != CONN_OK || finish(&k) == -1)
				return -1;
			continue;
		}
		if (strncmp(k.line, tag, strlen(tag)) != 0 ||
		    k.line[strlen(tag)] != ' ') {
			log_errorx("%s: unexpected \"%.100s\"",
			    im->f->srv.host, k.line);
			im->fault = CONN_PROTOCOL;
			return -1;
		}
		k.p = k.line + strlen(tag);
		if (atom(&k, word, sizeof(word)) == -1)
			word[0] = '\0';
		ws(&k);
		(void)snprintf(im->text, sizeof(im->text), "%s", k.p);
		if (strcasecmp(word, "OK") == 0)
			return 0;
		return strcasecmp(word, "NO") == 0 ? 1 : 2;
	}
}

/*
 * A response the handler can't make sense of, said with the line it
 * was on; the session is over.
 */
static void
unreadable(struct cur *k)
{
	log_errorx("%s: a response mailfetch can't read: \"%.100s\"",
	    k->im->f->srv.host, k->line);
	k->im->fault = CONN_PROTOCOL;
}

/* The command failed: say so with the server's words. */
static void
refused(struct imap *im, const char *what)
{
	log_errorx("%s: %s: the server says \"%s\"", im->f->srv.host, what,
	    im->text);
}

/* ---------------------------------------------------------- responses */

static void
on_capability(struct cur *k, void *arg)
{
	struct imap	*im = arg;
	char		 w[64];

	if (atom(k, w, sizeof(w)) == -1 || strcasecmp(w, "CAPABILITY") != 0)
		return;
	while (atom(k, w, sizeof(w)) == 0) {
		if (strcasecmp(w, "MOVE") == 0)
			im->has_move = 1;
		else if (strcasecmp(w, "UIDPLUS") == 0)
			im->has_uidplus = 1;
		else if (strcasecmp(w, "IDLE") == 0)
			im->f->can_idle = 1;
	}
}

static void
on_select(struct cur *k, void *arg)
{
	struct imap	*im = arg;
	char		 w[64];
	unsigned long	 v;

	if (atom(k, w, sizeof(w)) == -1)
		return;
	ws(k);
	if (strncasecmp(k->p, "EXISTS", 6) == 0 && w[0] >= '0' && w[0] <= '9')
		im->f->count = strtol(w, NULL, 10);
	if (strcasecmp(w, "OK") != 0)
		return;
	if (sscanf(k->p, "[UIDVALIDITY %lu]", &v) == 1)
		(void)snprintf(im->validity, sizeof(im->validity), "%lu", v);
}

/* LIST "" "": the hierarchy separator, a quoted character or NIL. */
static void
on_delim(struct cur *k, void *arg)
{
	struct imap	*im = arg;
	char		 w[64], d[8];

	if (atom(k, w, sizeof(w)) == -1 || strcasecmp(w, "LIST") != 0 ||
	    skip_value(k) == -1)
		return;
	ws(k);
	if (quoted(k, d, sizeof(d)) == 0 && strlen(d) == 1)
		im->delim = d[0];
}

/* A UID as text, checked: 1..2^32-1. */
static int
uid_read(struct cur *k, char *buf, size_t cap)
{
	char		*e;
	unsigned long	 v;

	if (atom(k, buf, cap) == -1)
		return -1;
	errno = 0;
	v = strtoul(buf, &e, 10);
	if (errno != 0 || *e != '\0' || v == 0 || v > UINT32_MAX ||
	    buf[0] == '0')
		return -1;
	return 0;
}

struct uids {
	char	**v;
	size_t	  n, cap;
};

static int
uids_add(struct uids *u, const char *s)
{
	char	**nv;

	if (u->n == u->cap) {
		u->cap = u->cap ? u->cap * 2 : 256;
		if ((nv = reallocarray(u->v, u->cap, sizeof(*nv))) == NULL)
			return -1;
		u->v = nv;
	}
	if ((u->v[u->n] = strdup(s)) == NULL)
		return -1;
	u->n++;
	return 0;
}

static void
uids_free(struct uids *u)
{
	size_t	i;

	for (i = 0; i < u->n; i++)
		free(u->v[i]);
	free(u->v);
	memset(u, 0, sizeof(*u));
}

static void
on_search(struct cur *k, void *arg)
{
	struct uids	*u = arg;
	char		 w[32];

	if (atom(k, w, sizeof(w)) == -1 || strcasecmp(w, "SEARCH") != 0)
		return;
	for (ws(k); *k->p != '\0'; ws(k))
		if (uid_read(k, w, sizeof(w)) == -1) {
			unreadable(k);
			return;
		} else if (uids_add(u, w) == -1) {
			log_errorx("UID SEARCH: out of memory");
			k->im->fault = CONN_PROTOCOL;
			return;
		}
}

/* What one FETCH response told us. */
struct msg {
	char			uid[16];
	unsigned long long	size;
	char			date[STATE_DATE_MAX + 1];
	int			dmarc, header;
};

struct scan {
	struct msg	*m;
	size_t		 n, cap;
};

/*
 * Walk the items of "N FETCH (...)"; for each, item() gets its name and
 * must take its value.
 */
typedef int	(*item_fn)(struct cur *, const char *name, void *arg);

static int
fetch_items(struct cur *k, item_fn item, void *arg)
{
	char	w[128];

	if (atom(k, w, sizeof(w)) == -1 || atom(k, w, sizeof(w)) == -1 ||
	    strcasecmp(w, "FETCH") != 0)
		return 0;	/* not a FETCH: nothing to do */
	ws(k);
	if (*k->p++ != '(')
		return -1;
	for (;;) {
		ws(k);
		if (*k->p == ')') {
			k->p++;
			return 0;
		}
		if (atom(k, w, sizeof(w)) == -1 || item(k, w, arg) == -1)
			return -1;
	}
}

static int
scan_item(struct cur *k, const char *name, void *arg)
{
	struct msg		*m = arg;
	struct hdrbuf		*h;
	unsigned long long	 n;
	char			 w[64];
	struct ymd		 t;
	int			 sunk, rc = 0;
	enum conn_fault		 f;

	if (strcasecmp(name, "UID") == 0)
		return uid_read(k, m->uid, sizeof(m->uid));
	if (strcasecmp(name, "RFC822.SIZE") == 0) {
		if (atom(k, w, sizeof(w)) == -1)
			return -1;
		m->size = strtoull(w, NULL, 10);
		return 0;
	}
	if (strcasecmp(name, "INTERNALDATE") == 0) {
		if (quoted(k, w, sizeof(w)) == -1)
			return -1;
		if (imap_date(w, &t) == 0)
			(void)snprintf(m->date, sizeof(m->date),
			    "%04d-%02d-%02d", t.y, t.m, t.d);
		return 0;
	}
	if (strncasecmp(name, "BODY[HEADER", 11) != 0)
		return skip_value(k);
	if ((h = malloc(sizeof(*h))) == NULL)
		return -1;
	hdr_reset(h);
	m->header = 1;
	if (literal(k, &n)) {
		f = conn_bytes(k->im->c, n, hdr_sink, h, &sunk);
		if (f != CONN_OK) {
			k->im->fault = f;
			rc = -1;
		} else
			rc = next_line(k);
	} else if (quoted(k, h->buf, sizeof(h->buf)) == 0)
		h->n = strlen(h->buf);
	else
		rc = skip_value(k);	/* NIL: no such header */
	if (rc == 0)
		m->dmarc = subject_matches(h->buf, h->n, k->im->f->markers);
	free(h);
	return rc;
}

static void
on_scan(struct cur *k, void *arg)
{
	struct scan	*s = arg;
	struct msg	 m, *nm;

	memset(&m, 0, sizeof(m));
	if (fetch_items(k, scan_item, &m) == -1) {
		if (k->im->fault == CONN_OK)
			unreadable(k);
		return;
	}
	if (m.uid[0] == '\0' || !m.header)
		return;		/* a flag change, or not ours */
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		if ((nm = reallocarray(s->m, s->cap, sizeof(*nm))) == NULL) {
			k->im->fault = CONN_PROTOCOL;
			return;
		}
		s->m = nm;
	}
	s->m[s->n++] = m;
}

/* ---------------------------------------------------------- actions */

/* Run a command that must succeed; 0, 1 refused (said), -1 broken. */
static int
must(struct imap *im, const char *what, int rc)
{
	if (rc == 1 || rc == 2) {
		refused(im, what);
		im->refusals++;
	}
	return rc == 0 ? 0 : rc < 0 ? -1 : 1;
}

static int
move(struct imap *im, const char *uid, const char *date)
{
	char		 folder[1024], q[2048];
	struct ymd	 t;
	int		 rc;

	if (date == NULL || sscanf(date, "%d-%d-%d", &t.y, &t.m, &t.d) != 3)
		today(&t);
	if (moveto_expand(im->f->moveto, &t, folder, sizeof(folder)) == -1 ||
	    folder_quote(folder, im->delim, q, sizeof(q)) == -1) {
		log_errorx("mailserver_moveto: \"%s\" makes no folder name",
		    im->f->moveto);
		im->refusals++;
		return 1;
	}
	for (;;) {
		if (im->has_move)
			rc = cmd(im, NULL, NULL, "UID MOVE %s %s", uid, q);
		else
			rc = cmd(im, NULL, NULL, "UID COPY %s %s", uid, q);
		if (rc != 1 || strncasecmp(im->text, "[TRYCREATE]", 11) != 0 ||
		    strcmp(im->created, folder) == 0)
			break;
		/* the folder is missing: make it (and its parents) once */
		rc = cmd(im, NULL, NULL, "CREATE %s", q);
		if (rc == 1 && strncasecmp(im->text, "[ALREADYEXISTS]", 15) != 0)
			return must(im, "CREATE", rc);
		if (rc < 0)
			return -1;
		log_info("created folder \"%s\"", folder);
		(void)cmd(im, NULL, NULL, "SUBSCRIBE %s", q);
		if (im->fault != CONN_OK)
			return -1;
		(void)snprintf(im->created, sizeof(im->created), "%s", folder);
	}
	if ((rc = must(im, im->has_move ? "UID MOVE" : "UID COPY", rc)) != 0)
		return rc;
	if (im->has_move)
		return 0;
	rc = cmd(im, NULL, NULL, "UID STORE %s +FLAGS.SILENT (\\Deleted)", uid);
	return must(im, "UID STORE", rc);
}

/*
 * mailserver_action on the UIDs of set (one UID or "1,5,9"), all with
 * the same move-to date; 0 done, 1 refused, -1 broken.
 */
static int
act_set(struct imap *im, const char *set, const char *date)
{
	struct fetch	*f = im->f;
	int		 rc;

	switch (f->action) {
	case ACT_MARK_READ:
		rc = must(im, "UID STORE", cmd(im, NULL, NULL,
		    "UID STORE %s +FLAGS.SILENT (\\Seen)", set));
		break;
	case ACT_DELETE:
		rc = must(im, "UID STORE", cmd(im, NULL, NULL,
		    "UID STORE %s +FLAGS.SILENT (\\Deleted)", set));
		break;
	default:
		rc = move(im, set, date);
		break;
	}
	if (rc != 0)
		return rc;
	/* UID MOVE expunges by itself; \Deleted needs an expunge */
	if (f->action == ACT_DELETE || (f->action == ACT_MOVE &&
	    !im->has_move)) {
		if (im->has_uidplus)
			rc = must(im, "UID EXPUNGE", cmd(im, NULL, NULL,
			    "UID EXPUNGE %s", set));
		else
			im->expunge = 1;
	}
	return rc;
}

/*
 * The action on n messages (uids[i], with dates[i] or NULL), as few
 * commands as the move-to dates allow, each done one noted 'd'.
 * Returns 0 (refusals counted and said), or -1 when the session broke.
 */
static int
act_some(struct imap *im, char *const *uids, char *const *dates, size_t n)
{
	struct fetch	*f = im->f;
	char		 set[ACT_BATCH * 12], *done;
	const char	*d;
	size_t		 i, j, k, len;
	int		 rc;

	if ((done = calloc(n ? n : 1, 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		/* the UIDs with the same date as uids[i], up to ACT_BATCH */
		d = dates[i];
		for (j = i, k = 0, len = 0; j < n && k < ACT_BATCH; j++) {
			if (done[j] || (f->action == ACT_MOVE && !((d == NULL &&
			    dates[j] == NULL) || (d && dates[j] &&
			    strcmp(d, dates[j]) == 0))))
				continue;
			len += (size_t)snprintf(set + len, sizeof(set) - len,
			    "%s%s", k ? "," : "", uids[j]);
			done[j] = 2;	/* in this set */
			k++;
		}
		rc = act_set(im, set, d);
		for (j = i; j < n; j++) {
			if (done[j] != 2)
				continue;
			done[j] = 1;
			if (rc != 0)
				continue;
			log_info("message %s: %s", uids[j], f->action ==
			    ACT_MOVE ? "moved" : f->action == ACT_DELETE ?
			    "deleted" : "marked read");
			f->acted++;
			if (state_note(&im->st, 'd', uids[j], NULL, NULL, 0) ==
			    -1) {
				log_errorx("state/%s: %s", im->st.file,
				    strerror(errno));
				rc = -1;
				im->fault = CONN_OK;
				break;
			}
		}
		if (rc < 0) {
			free(done);
			return -1;
		}
	}
	free(done);
	return 0;
}

/* ---------------------------------------------------------- the pass */

struct redo {
	struct uids	 keys, dates;
	int		 all_done;	/* 'd' entries too */
};

static void
collect_redo(void *arg, struct sent *e)
{
	struct redo	*r = arg;

	/* after the rewrite, every entry is one the folder still holds */
	if (e->kind != 'p' && !(e->kind == 'd' && r->all_done))
		return;
	if (uids_add(&r->keys, e->key) == 0 &&
	    uids_add(&r->dates, e->kind == 'p' ? e->date : "-") == -1)
		r->keys.n--;
}

static void
drop_each(void *arg, struct sent *e)
{
	(void)arg;
	e->live = 0;
}

/* Take stock: the state against what the folder holds now. */
static enum pass
reconcile(struct imap *im, struct uids *cand)
{
	struct fetch	*f = im->f;
	struct uids	 all = { NULL, 0, 0 };
	struct sent	*e;
	size_t		 i;
	int		 rc, fresh;

	if (republish_all(f, &im->st) == -1)
		return PASS_TEMP;
	if (strcmp(im->st.validity, "-") != 0 &&
	    strcmp(im->st.validity, im->validity) != 0) {
		log_warnx("%s: UIDVALIDITY changed from %s to %s: what was "
		    "handled there before can't be recognised, and reports "
		    "still in the folder will be fetched again",
		    f->folder, im->st.validity, im->validity);
		state_each(&im->st, drop_each, NULL);
		fresh = 1;
	} else
		fresh = 0;
	rc = cmd(im, on_search, &all, "UID SEARCH UNDELETED");
	if (rc != 0) {
		uids_free(&all);
		if (rc > 0)
			refused(im, "UID SEARCH");
		return rc < 0 ? pass_of(im->fault) : PASS_PROTOCOL;
	}
	for (i = 0; i < all.n; i++) {
		e = fresh ? NULL : state_get(&im->st, all.v[i]);
		if (e != NULL && !(e->kind == 'i' &&
		    strcmp(im->st.subjects, f->markers_id) != 0))
			e->live = 1;
		else if (uids_add(cand, all.v[i]) == -1)
			break;
	}
	uids_free(&all);
	if (i < all.n || state_rewrite(&im->st, im->validity,
	    f->markers_id) == -1) {
		log_errorx("state/%s: %s", im->st.file, strerror(errno));
		return PASS_TEMP;
	}
	return PASS_OK;
}

/* Finish what a crash or a refusal left: the action on 'p' entries. */
static enum pass
redo(struct imap *im)
{
	struct redo	r;
	size_t		i;
	int		rc;

	memset(&r, 0, sizeof(r));
	r.all_done = im->f->action != ACT_MARK_READ;
	state_each(&im->st, collect_redo, &r);
	for (i = 0; i < r.dates.n; i++)
		if (strcmp(r.dates.v[i], "-") == 0) {
			free(r.dates.v[i]);
			r.dates.v[i] = NULL;
		}
	rc = act_some(im, r.keys.v, r.dates.v, r.keys.n);
	uids_free(&r.keys);
	uids_free(&r.dates);
	if (rc < 0)
		return im->fault != CONN_OK ? pass_of(im->fault) : PASS_TEMP;
	return PASS_OK;
}

/* The candidates' Subjects, BATCH at a time: which are reports. */
static enum pass
scan(struct imap *im, struct uids *cand, struct scan *s)
{
	char	set[BATCH * 12];
	size_t	i, j, n;
	int	rc;

	for (i = 0; i < cand->n; i += BATCH) {
		for (j = i, n = 0; j < cand->n && j < i + BATCH; j++)
			n += (size_t)snprintf(set + n, sizeof(set) - n, "%s%s",
			    j > i ? "," : "", cand->v[j]);
		rc = cmd(im, on_scan, s, "UID FETCH %s (UID RFC822.SIZE "
		    "INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])", set);
		if (rc != 0) {
			if (rc > 0)
				refused(im, "UID FETCH");
			return rc < 0 ? pass_of(im->fault) : PASS_PROTOCOL;
		}
	}
	return PASS_OK;
}

/* One UID FETCH of up to FETCH_BATCH reports' bodies. */
struct body {
	struct imap	*im;
	struct scan	*s;
	struct taking	*v;		/* FETCH_BATCH of them */
	size_t		 n;		/* filled */
	struct taking	*cur;		/* this response's body, if any */
	char		 uid[16];	/* this response's UID */
	enum pass	 pass;
};

static int
body_item(struct cur *k, const char *name, void *arg)
{
	struct body		*b = arg;
	struct taking		*t;
	unsigned long long	 n;
	char			*q;
	int			 sunk;
	enum conn_fault		 cf;
	enum pass		 p;

	if (strcasecmp(name, "UID") == 0)
		return uid_read(k, b->uid, sizeof(b->uid));
	if (strcasecmp(name, "BODY[]") != 0)
		return skip_value(k);
	if (b->cur != NULL || b->n == FETCH_BATCH)
		return -1;		/* a second body, or one too many */
	/*
	 * A message that can't be written (a full disk) is read all the
	 * same, so the session stays in step and the ones before it in
	 * this batch are still recorded; the pass ends after the batch.
	 */
	t = &b->v[b->n];
	if (take_begin(b->im->f, t) == -1) {
		b->pass = errno == ENOSPC ? PASS_DISK : PASS_TEMP;
		return skip_value(k);
	}
	b->cur = t;
	b->n++;
	if (literal(k, &n)) {
		if ((cf = conn_bytes(k->im->c, n, take_sink, t, &sunk)) !=
		    CONN_OK) {
			k->im->fault = cf;
			return -1;
		}
		if ((p = take_close(t)) != PASS_OK)
			b->pass = p;
		return next_line(k);
	}
	/* a small message may come as a quoted string */
	ws(k);
	if ((q = malloc(k->len + 1)) == NULL || quoted(k, q, k->len + 1) ==
	    -1) {
		free(q);
		return -1;
	}
	(void)take_sink(t, q, strlen(q));
	free(q);
	if ((p = take_close(t)) != PASS_OK)
		b->pass = p;
	return 0;
}

static struct msg *
msg_find(struct scan *s, const char *uid)
{
	size_t	i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->m[i].uid, uid) == 0)
			return &s->m[i];
	return NULL;
}

static void
on_body(struct cur *k, void *arg)
{
	struct body	*b = arg;
	struct msg	*m;

	b->uid[0] = '\0';
	b->cur = NULL;
	if (fetch_items(k, body_item, b) == -1 || (b->cur != NULL &&
	    (m = msg_find(b->s, b->uid)) == NULL)) {
		if (k->im->fault == CONN_OK && b->pass == PASS_OK)
			unreadable(k);
		return;
	}
	if (b->cur == NULL)
		return;		/* a flag change, say */
	(void)snprintf(b->cur->key, sizeof(b->cur->key), "%s", b->uid);
	(void)snprintf(b->cur->date, sizeof(b->cur->date), "%s", m->date);
	m->header = 2;		/* fetched */
}

/*
 * Fetch the reports FETCH_BATCH at a time, in one command each; record
 * and publish each batch, then act on it.
 */
static enum pass
take_reports(struct imap *im, struct scan *s)
{
	struct fetch	*f = im->f;
	struct body	 b;
	char		 set[FETCH_BATCH * 12], *uids[FETCH_BATCH];
	char		*dates[FETCH_BATCH];
	struct msg	*asked[FETCH_BATCH];
	size_t		 i = 0, j, k, na, len, taken = 0, waiting = 0;
	enum pass	 p = PASS_OK;
	int		 rc;

	memset(&b, 0, sizeof(b));
	b.im = im;
	b.s = s;
	if ((b.v = calloc(FETCH_BATCH, sizeof(*b.v))) == NULL)
		return PASS_TEMP;
	while (i < s->n && p == PASS_OK) {
		for (k = 0, len = 0; i < s->n && k < FETCH_BATCH; i++) {
			if (!s->m[i].dmarc) {
				if (state_note(&im->st, 'i', s->m[i].uid, NULL,
				    NULL, 0) == -1) {
					p = PASS_TEMP;
					break;
				}
				continue;
			}
			if (s->m[i].size > (unsigned long long)
			    f->message_bytes) {
				log_errorx("message %s: %llu bytes, more than "
				    "%lld (message_bytes limit): left on the "
				    "server", s->m[i].uid, s->m[i].size,
				    f->message_bytes);
				f->skipped++;
				continue;
			}
			if (taken + k >= (size_t)f->max_messages) {
				waiting++;
				continue;
			}
			len += (size_t)snprintf(set + len, sizeof(set) - len,
			    "%s%s", k ? "," : "", s->m[i].uid);
			asked[k++] = &s->m[i];
		}
		if (k == 0 || p != PASS_OK)
			break;
		na = k;
		b.n = 0;
		b.pass = PASS_OK;
		rc = cmd(im, on_body, &b, "UID FETCH %s (UID BODY.PEEK[])",
		    set);
		if (rc != 0) {
			take_drop(b.v, b.n);
			if (rc < 0)
				p = pass_of(im->fault);
			else {
				refused(im, "UID FETCH");
				p = PASS_PROTOCOL;
			}
			break;
		}
		for (j = 0; j < na && b.pass == PASS_OK; j++)
			if (asked[j]->header != 2)
				log_warnx("message %s: gone from the server "
				    "before it was fetched", asked[j]->uid);
		if ((p = take_commit(f, &im->st, b.v, b.n)) != PASS_OK) {
			take_drop(b.v, b.n);
			break;
		}
		for (j = 0, k = 0; j < b.n; j++)
			if (b.v[j].taken) {
				uids[k] = b.v[j].key;
				dates[k++] = b.v[j].date[0] ? b.v[j].date :
				    NULL;
			}
		taken += k;
		if (act_some(im, uids, dates, k) < 0)
			p = im->fault != CONN_OK ? pass_of(im->fault) :
			    PASS_TEMP;
		else if (b.pass != PASS_OK)
			p = b.pass;	/* the disk: what fitted is taken */
	}
	if (waiting > 0)
		log_info("%zu more reports wait for the next pass "
		    "(max_messages %ld)", waiting, f->max_messages);
	free(b.v);
	return p;
}

enum pass
imap_pass(struct fetch *f, struct conn *c)
{
	struct imap	 im;
	struct uids	 cand = { NULL, 0, 0 };
	struct scan	 s = { NULL, 0, 0 };
	char		 id[2048], why[512];
	enum pass	 p;
	int		 rc;

	memset(&im, 0, sizeof(im));
	im.f = f;
	im.c = c;
	im.st.fd = -1;
	f->can_idle = 0;
	if ((rc = cmd(&im, on_capability, &im, "CAPABILITY")) < 0)
		return pass_of(im.fault);
	im.delim = '/';
	if (cmd(&im, on_delim, &im, "LIST \"\" \"\"") < 0)
		return pass_of(im.fault);
	if (folder_quote(f->folder, im.delim, im.folder, sizeof(im.folder)) ==
	    -1)
		return PASS_PROTOCOL;	/* checked when read: no room */
	/* -t only looks: EXAMINE opens the folder read-only */
	rc = cmd(&im, on_select, &im, "%s %s", f->check ? "EXAMINE" :
	    "SELECT", im.folder);
	if (rc != 0) {
		if (rc < 0)
			return pass_of(im.fault);
		log_msg(LOG_CRITICAL, "folder \"%s\": the server says \"%s\"",
		    f->folder, im.text);
		return PASS_FOLDER;
	}
	if (f->check)
		return PASS_OK;
	if (im.validity[0] == '\0') {
		log_errorx("folder \"%s\": the server sent no UIDVALIDITY",
		    f->folder);
		return PASS_PROTOCOL;
	}
	(void)snprintf(id, sizeof(id), "imap://%s@%s/%s", f->srv.user,
	    f->srv.host, f->folder);
	if (state_open(&im.st, f->statedir, id, why, sizeof(why)) == -1) {
		log_errorx("%s", why);
		return PASS_TEMP;
	}
	if ((p = reconcile(&im, &cand)) == PASS_OK &&
	    (p = redo(&im)) == PASS_OK &&
	    (p = scan(&im, &cand, &s)) == PASS_OK)
		p = take_reports(&im, &s);
	if (p == PASS_OK && im.expunge &&
	    (rc = must(&im, "EXPUNGE", cmd(&im, NULL, NULL, "EXPUNGE"))) != 0)
		p = rc < 0 ? pass_of(im.fault) : PASS_TEMP;
	p = journal_end(&im.st, p);
	if (p == PASS_OK && im.refusals > 0) {
		log_errorx("%d server actions refused: the reports are in the "
		    "spool, the actions are tried again next pass",
		    im.refusals);
		p = PASS_TEMP;
	}
	uids_free(&cand);
	free(s.m);
	return p;
}

void
imap_logout(struct fetch *f, struct conn *c)
{
	struct imap	im;

	memset(&im, 0, sizeof(im));
	im.f = f;
	im.c = c;
	im.bye_ok = 1;
	(void)cmd(&im, NULL, NULL, "LOGOUT");
}

/*
 * RFC 2177: wait in IDLE for news of the selected folder, secs at most,
 * looking at *stop every second.  Returns PASS_OK with *news set when
 * the folder has new messages.
 */
enum pass
imap_idle(struct fetch *f, struct conn *c, long secs,
    volatile sig_atomic_t *stop, int *news)
{
	char		 tag[16], buf[32], *line;
	size_t		 len;
	time_t		 end = time(NULL) + secs;
	unsigned long	 n;
	enum conn_fault	 cf;
	int		 w;

	*news = 0;
	(void)snprintf(tag, sizeof(tag), "m%u", ++tagno);
	w = snprintf(buf, sizeof(buf), "%s IDLE\r\n", tag);
	if ((cf = conn_send(c, buf, (size_t)w)) != CONN_OK)
		return pass_of(cf);
	do {	/* up to the continuation; untagged news may come first */
		if ((cf = conn_line(c, &line, &len)) != CONN_OK)
			return pass_of(cf);
		if (strncmp(line, tag, strlen(tag)) == 0) {
			log_errorx("%s: IDLE refused: \"%.200s\"",
			    f->srv.host, line);
			return PASS_PROTOCOL;
		}
	} while (line[0] != '+');
	log_debug("%s: waiting in IDLE for up to %ld s", f->srv.host, secs);
	while (!*news && !*stop && time(NULL) < end) {
		if ((w = conn_wait(c, 1000)) == 0)
			continue;
		if ((cf = conn_line(c, &line, &len)) != CONN_OK)
			return pass_of(cf);
		if (strncasecmp(line, "* BYE", 5) == 0)
			return PASS_UNREACHABLE;
		if (sscanf(line, "* %lu EXISTS", &n) == 1)
			*news = 1;
	}
	if ((cf = conn_send(c, "DONE\r\n", 6)) != CONN_OK)
		return pass_of(cf);
	do {
		if ((cf = conn_line(c, &line, &len)) != CONN_OK)
			return pass_of(cf);
	} while (strncmp(line, tag, strlen(tag)) != 0);
	return PASS_OK;
}
