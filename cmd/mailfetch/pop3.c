/*
 * POP3 (RFC 1939), over a session libcurl logged in: UIDL to know each
 * message for good, LIST for sizes, TOP n 0 for the Subject, RETR for
 * the message, DELE, QUIT.  Deletions only happen at QUIT, so a pass cut
 * short deletes nothing; the state remembers what was taken, and the
 * next pass deletes it without fetching it again.  POP3 has no folders
 * and no flags: "move" deletes, as TA-dmarc does, and "mark_read" leaves
 * the message where it is, known by its UIDL.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mailfetch.h"

#define UIDL_MAX	70	/* RFC 1939 */


struct pmsg {
	unsigned long		 num;
	char			 uidl[UIDL_MAX + 1];
	unsigned long long	 size;
};

struct pop {
	struct fetch	*f;
	struct conn	*c;
	struct state	 st;
	enum conn_fault	 fault;
	struct pmsg	*m;
	size_t		 n;
	char		 text[512];
};

/* One command; 0 for +OK, 1 for -ERR (text kept), -1 broken. */
static int
command(struct pop *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int
command(struct pop *p, const char *fmt, ...)
{
	char		 buf[256], *line;
	va_list		 ap;
	size_t		 len;
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(buf) - 2) {
		p->fault = CONN_PROTOCOL;
		return -1;
	}
	buf[n++] = '\r';
	buf[n++] = '\n';
	if ((p->fault = conn_send(p->c, buf, (size_t)n)) != CONN_OK ||
	    (p->fault = conn_line(p->c, &line, &len)) != CONN_OK)
		return -1;
	(void)snprintf(p->text, sizeof(p->text), "%s", line);
	if (strncmp(line, "+OK", 3) == 0)
		return 0;
	if (strncmp(line, "-ERR", 4) == 0)
		return 1;
	log_errorx("%s: unexpected \"%.100s\"", p->f->srv.host, line);
	p->fault = CONN_PROTOCOL;
	return -1;
}

/*
 * The body of a multi-line response, dot-stuffing undone, to sink,
 * up to the line holding only ".".
 */
static enum conn_fault
dotted(struct conn *c, conn_sink sink, void *arg)
{
	unsigned char	*s, *nl;
	size_t		 n, k;
	int		 bol = 1, sunk = 1;
	enum conn_fault	 f;

	for (;;) {
		n = c->len - c->off;
		s = c->buf + c->off;
		if (bol && (n == 0 || (s[0] == '.' && n < 3 &&
		    !(n == 2 && s[1] == '\n')))) {
			if ((f = conn_fill(c)) != CONN_OK)
				return f;
			continue;
		}
		if (n == 0) {
			if ((f = conn_fill(c)) != CONN_OK)
				return f;
			continue;
		}
		if (bol && s[0] == '.') {
			if (s[1] == '\n' || (s[1] == '\r' && s[2] == '\n')) {
				c->off += s[1] == '\n' ? 2 : 3;
				return CONN_OK;
			}
			c->off++;	/* a stuffed dot */
			s++;
			n--;
		}
		nl = memchr(s, '\n', n);
		k = nl ? (size_t)(nl - s) + 1 : n;
		if (sunk && sink != NULL && sink(arg, s, k) == -1)
			sunk = 0;
		c->off += k;
		bol = nl != NULL;
	}
}

/* The lines of a multi-line listing ("n value"), one callback each. */
struct listing {
	struct pop	*p;
	char		 buf[512];
	size_t		 n;
	int		 (*line)(struct pop *, char *);
	int		 bad;
};

static int
listing_sink(void *arg, const void *v, size_t n)
{
	struct listing	*l = arg;
	const char	*s = v;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (s[i] != '\n') {
			if (l->n + 1 < sizeof(l->buf))
				l->buf[l->n++] = s[i];
			continue;
		}
		if (l->n > 0 && l->buf[l->n - 1] == '\r')
			l->n--;
		l->buf[l->n] = '\0';
		if (l->line(l->p, l->buf) == -1)
			l->bad = 1;
		l->n = 0;
	}
	return 0;
}

static int
on_uidl(struct pop *p, char *s)
{
	struct pmsg	*nm;
	unsigned long	 num;
	char		 u[128];
	int		 used = 0;

	if (sscanf(s, "%lu %127s%n", &num, u, &used) != 2 || s[used] != '\0')
		return -1;
	if (strlen(u) > UIDL_MAX) {
		log_warnx("message %lu: its UIDL is longer than %d "
		    "characters: left alone", num, UIDL_MAX);
		return 0;
	}
	if ((nm = reallocarray(p->m, p->n + 1, sizeof(*nm))) == NULL)
		return -1;
	p->m = nm;
	nm = &p->m[p->n++];
	nm->num = num;
	nm->size = 0;
	(void)snprintf(nm->uidl, sizeof(nm->uidl), "%s", u);
	return 0;
}

static int
on_list(struct pop *p, char *s)
{
	unsigned long		num;
	unsigned long long	size;
	size_t			i;

	if (sscanf(s, "%lu %llu", &num, &size) != 2)
		return -1;
	for (i = 0; i < p->n; i++)
		if (p->m[i].num == num)
			p->m[i].size = size;
	return 0;
}

static enum pass
list(struct pop *p, const char *what, int (*line)(struct pop *, char *))
{
	struct listing	l;
	int		rc;

	memset(&l, 0, sizeof(l));
	l.p = p;
	l.line = line;
	if ((rc = command(p, "%s", what)) != 0) {
		if (rc > 0)
			log_errorx("%s: %s: the server says \"%s\"%s",
			    p->f->srv.host, what, p->text,
			    line == on_uidl ? " (without UIDL mailfetch "
			    "can't know a message again)" : "");
		return rc < 0 ? pass_of(p->fault) : PASS_PROTOCOL;
	}
	if ((p->fault = dotted(p->c, listing_sink, &l)) != CONN_OK)
		return pass_of(p->fault);
	if (l.bad) {
		log_errorx("%s: %s: a line that is not \"number value\"",
		    p->f->srv.host, what);
		return PASS_PROTOCOL;
	}
	return PASS_OK;
}

/* Is message m a report?  1 yes, 0 no, -1 broken or refused. */
static int
is_report(struct pop *p, const struct pmsg *m, struct hdrbuf *h)
{
	int	rc;

	hdr_reset(h);
	if ((rc = command(p, "TOP %lu 0", m->num)) != 0) {
		if (rc > 0)
			log_errorx("%s: TOP %lu 0: the server says \"%s\"",
			    p->f->srv.host, m->num, p->text);
		return -1;
	}
	if ((p->fault = dotted(p->c, hdr_sink, h)) != CONN_OK)
		return -1;
	return subject_matches(h->buf, h->n, p->f->markers);
}

/* The action, after the message is safe in the spool. */
static int
act(struct pop *p, const struct pmsg *m)
{
	int	rc;

	if (p->f->action != ACT_MARK_READ) {
		if ((rc = command(p, "DELE %lu", m->num)) != 0) {
			if (rc > 0)
				log_errorx("message %s: DELE: the server says "
				    "\"%s\"", m->uidl, p->text);
			return -1;
		}
		log_info("message %s: deleted (at QUIT)", m->uidl);
	}
	p->f->acted++;
	if (state_note(&p->st, 'd', m->uidl, NULL, NULL, 0) == -1) {
		log_errorx("state/%s: %s", p->st.file, strerror(errno));
		return -1;
	}
	return 0;
}

static enum pass
fetch_one(struct pop *p, const struct pmsg *m)
{
	struct taking	t;
	enum pass	r;
	int		rc, saved;

	if ((rc = command(p, "RETR %lu", m->num)) != 0) {
		if (rc > 0)
			log_errorx("message %s: RETR: the server says \"%s\"",
			    m->uidl, p->text);
		return rc < 0 ? pass_of(p->fault) : PASS_PROTOCOL;
	}
	if (take_begin(p->f, &t) == -1) {
		saved = errno;
		(void)dotted(p->c, NULL, NULL);
		return saved == ENOSPC ? PASS_DISK : PASS_TEMP;
	}
	if ((p->fault = dotted(p->c, take_sink, &t)) != CONN_OK) {
		take_drop(&t, 1);
		return pass_of(p->fault);
	}
	(void)snprintf(t.key, sizeof(t.key), "%s", m->uidl);
	if ((r = take_close(&t)) != PASS_OK ||
	    (r = take_commit(p->f, &p->st, &t, 1)) != PASS_OK || !t.taken)
		return r;
	return act(p, m) == 0 ? PASS_OK : p->fault != CONN_OK ?
	    pass_of(p->fault) : PASS_TEMP;
}

enum pass
pop3_pass(struct fetch *f, struct conn *c)
{
	struct pop	 p;
	struct hdrbuf	*h = NULL;
	struct sent	*e;
	char		 id[1024], why[512];
	enum pass	 r;
	size_t		 i, taken = 0, waiting = 0;
	int		 rc;

	memset(&p, 0, sizeof(p));
	p.f = f;
	p.c = c;
	p.st.fd = -1;
	if ((r = list(&p, "UIDL", on_uidl)) != PASS_OK ||
	    (r = list(&p, "LIST", on_list)) != PASS_OK)
		goto out;
	if (f->check) {
		f->count = (long)p.n;
		(void)command(&p, "QUIT");
		goto out;
	}
	(void)snprintf(id, sizeof(id), "pop3://%s@%s", f->srv.user,
	    f->srv.host);
	if (state_open(&p.st, f->statedir, id, why, sizeof(why)) == -1) {
		log_errorx("%s", why);
		r = PASS_TEMP;
		goto out;
	}
	if (republish_all(f, &p.st) == -1) {
		r = PASS_TEMP;
		goto out;
	}
	for (i = 0; i < p.n; i++)
		if ((e = state_get(&p.st, p.m[i].uidl)) != NULL &&
		    !(e->kind == 'i' && strcmp(p.st.subjects,
		    f->markers_id) != 0))
			e->live = 1;
	if (state_rewrite(&p.st, "-", f->markers_id) == -1) {
		log_errorx("state/%s: %s", p.st.file, strerror(errno));
		r = PASS_TEMP;
		goto out;
	}
	if ((h = malloc(sizeof(*h))) == NULL) {
		r = PASS_TEMP;
		goto out;
	}
	for (i = 0; i < p.n && r == PASS_OK; i++) {
		if ((e = state_get(&p.st, p.m[i].uidl)) != NULL) {
			/* taken before: finish the deletion a QUIT missed */
			if (e->kind != 'i' && f->action != ACT_MARK_READ &&
			    act(&p, &p.m[i]) == -1)
				r = p.fault != CONN_OK ? pass_of(p.fault) :
				    PASS_TEMP;
			continue;
		}
		if ((rc = is_report(&p, &p.m[i], h)) == -1) {
			r = p.fault != CONN_OK ? pass_of(p.fault) :
			    PASS_PROTOCOL;
			break;
		}
		if (rc == 0) {
			if (state_note(&p.st, 'i', p.m[i].uidl, NULL, NULL,
			    0) == -1)
				r = PASS_TEMP;
			continue;
		}
		if (p.m[i].size > (unsigned long long)f->message_bytes) {
			log_errorx("message %s: %llu bytes, more than %lld "
			    "(message_bytes limit): left on the server",
			    p.m[i].uidl, p.m[i].size, f->message_bytes);
			f->skipped++;
			continue;
		}
		if (taken >= (size_t)f->max_messages) {
			waiting++;
			continue;
		}
		taken++;
		r = fetch_one(&p, &p.m[i]);
	}
	if (waiting > 0)
		log_info("%zu more reports wait for the next pass "
		    "(max_messages %ld)", waiting, f->max_messages);
	if (fsync(p.st.fd) == -1) {
		log_errorx("state/%s: %s", p.st.file, strerror(errno));
		if (r == PASS_OK)
			r = PASS_TEMP;
	}
	/* QUIT commits the deletions, also after a refused action */
	if (r == PASS_OK || r == PASS_TEMP) {
		if ((rc = command(&p, "QUIT")) != 0 && r == PASS_OK) {
			log_errorx("%s: QUIT: %s; the deletions happen next "
			    "pass", f->srv.host, rc > 0 ? p.text :
			    conn_fault_str(p.fault));
			r = PASS_TEMP;
		}
	}
out:
	free(h);
	r = journal_end(&p.st, r);
	free(p.m);
	return r;
}
