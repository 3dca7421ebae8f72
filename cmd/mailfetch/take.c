/*
 * The local half of fetching messages, the same for IMAP and POP3:
 * write each whole into mail/tmp and fsync it, note them in the state as
 * 'p' (one fsync for a batch), and only then publish them to mail/new
 * (one fsync of the directory).  A crash before the note leaves an
 * unpublished tmp file and no record: the message is fetched again.  A
 * crash after it leaves a record whose tmp file republish() finishes.
 * Either way the server is only touched after the publish.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mailfetch.h"
#include "mailtext.h"

enum pass
pass_of(enum conn_fault f)
{
	switch (f) {
	case CONN_OK:
		return PASS_OK;
	case CONN_TLS:
		return PASS_TLS;
	case CONN_LOGIN:
		return PASS_LOGIN;
	case CONN_PROTOCOL:
		return PASS_PROTOCOL;
	case CONN_UNREACHABLE:
	case CONN_TIMEOUT:
		break;
	}
	return PASS_UNREACHABLE;
}

enum pass
session_open(struct fetch *f, struct conn *c)
{
	char		why[CURL_ERROR_SIZE + 600];
	enum conn_fault	cf;

	cf = conn_open(c, &f->srv, f->pass, why, sizeof(why));
	if (!f->keep_pass)	/* one pass, one login: no more need */
		explicit_bzero(f->pass, strlen(f->pass));
	if (cf != CONN_OK) {
		log_msg(LOG_CRITICAL, "%s", why);
		return pass_of(cf);
	}
	log_debug("%s://%s:%d: logged in as %s", f->srv.scheme, f->srv.host,
	    f->srv.port, f->srv.user);
	return PASS_OK;
}

static enum pass
disk_fault(const char *what, const char *name)
{
	log_errorx("mail/%s%s: %s", what, name, strerror(errno));
	return errno == ENOSPC || errno == EDQUOT || errno == EIO ?
	    PASS_DISK : PASS_TEMP;
}

int
take_begin(struct fetch *f, struct taking *t)
{
	char	name[SPOOL_NAME_MAX + 1];

	memset(t, 0, sizeof(*t));
	t->limit = f->message_bytes;
	t->item.fd = -1;
	if (spool_uniqname(name, sizeof(name)) == -1 ||
	    spool_create(&f->mail, name, &t->item) == -1) {
		(void)disk_fault("tmp/", name);
		return -1;
	}
	if ((t->buf = malloc(TAKE_BUF)) == NULL) {
		log_errorx("mail/tmp/%s: out of memory", name);
		spool_abort(&t->item);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* Write out what is gathered; a failure is kept in t->err. */
static int
flush(struct taking *t)
{
	const char	*s = t->buf;
	ssize_t		 w;

	while (t->used > 0) {
		if ((w = write(t->item.fd, s, t->used)) == -1) {
			if (errno == EINTR)
				continue;
			t->err = errno;
			return -1;
		}
		s += w;
		t->used -= (size_t)w;
	}
	return 0;
}

int
take_sink(void *arg, const void *p, size_t n)
{
	struct taking	*t = arg;
	const char	*s = p;
	size_t		 k;

	if (t->over || t->err)
		return -1;
	if ((t->n += n) > (unsigned long long)t->limit) {
		t->over = 1;
		return -1;
	}
	while (n > 0) {
		if (t->used == TAKE_BUF && flush(t) == -1)
			return -1;
		k = TAKE_BUF - t->used < n ? TAKE_BUF - t->used : n;
		memcpy(t->buf + t->used, s, k);
		t->used += k;
		s += k;
		n -= k;
	}
	return 0;
}

int
take_restart(struct taking *t)
{
	if (ftruncate(t->item.fd, 0) == -1 ||
	    lseek(t->item.fd, 0, SEEK_SET) == -1)
		return -1;
	t->used = 0;
	t->n = 0;
	t->over = 0;
	return 0;
}

/* The gathering buffer goes, its bytes unwritten. */
static void
unbuffer(struct taking *t)
{
	free(t->buf);
	t->buf = NULL;
	t->used = 0;
}

enum pass
take_close(struct taking *t)
{
	if (t->over) {
		unbuffer(t);
		spool_abort(&t->item);
		return PASS_OK;
	}
	if (t->err == 0)
		(void)flush(t);
	unbuffer(t);
	if (t->err == 0 && fsync(t->item.fd) == -1)
		t->err = errno;
	if (close(t->item.fd) == -1 && t->err == 0)
		t->err = errno;
	t->item.fd = -1;
	if (t->err != 0) {
		errno = t->err;
		spool_abort(&t->item);
		return disk_fault("tmp/", t->item.name);
	}
	t->received = 1;
	return PASS_OK;
}

void
take_drop(struct taking *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (!v[i].taken && (v[i].received || v[i].item.fd != -1)) {
			unbuffer(&v[i]);
			spool_abort(&v[i].item);
			v[i].received = 0;
		}
}

enum pass
take_commit(struct fetch *f, struct state *st, struct taking *v, size_t n)
{
	size_t		i, k = 0;
	enum pass	p;

	for (i = 0; i < n; i++) {
		if (v[i].over) {
			log_errorx("message %s: more than %lld bytes "
			    "(message_bytes limit): left on the server",
			    v[i].key, v[i].limit);
			f->skipped++;
			continue;
		}
		if (!v[i].received)
			continue;
		if (state_note(st, 'p', v[i].key, v[i].item.name,
		    v[i].date[0] ? v[i].date : NULL, 0) == -1)
			goto state;
		k++;
	}
	if (k == 0)
		return PASS_OK;
	if (fsync(st->fd) == -1)
		goto state;
	/*
	 * From here the records stand and each tmp/NAME must stay until
	 * it is in new/: a failure leaves them for republish_all() next
	 * pass, which takes a record without its tmp/NAME for one
	 * published before.
	 */
	for (i = 0; i < n; i++)
		if (v[i].received && spool_relink(&f->mail, v[i].item.name,
		    0) == -1) {
			p = disk_fault("new/", v[i].item.name);
			goto recorded;
		}
	if (fsync(f->mail.new) == -1) {
		p = disk_fault("new", "");
		goto recorded;
	}
	for (i = 0; i < n; i++) {
		if (!v[i].received)
			continue;
		v[i].taken = 1;
		f->got++;
		log_info("message %s: %llu bytes to mail/new/%s", v[i].key,
		    v[i].n, v[i].item.name);
	}
	return PASS_OK;
recorded:
	/* none taken: nothing is acted on, and take_drop() keeps them */
	for (i = 0; i < n; i++)
		v[i].received = 0;
	return p;
state:
	log_errorx("state/%s: %s", st->file, strerror(errno));
	/*
	 * No record is sure to be on disk: nothing is published, and the
	 * mails are fetched again (a record that did get there publishes
	 * its file next pass; the others leave a stray tmp file).
	 */
	for (i = 0; i < n; i++)
		v[i].received = 0;
	return errno == ENOSPC ? PASS_DISK : PASS_TEMP;
}

void
hdr_reset(struct hdrbuf *h)
{
	h->n = 0;
	h->bol = 1;
	h->keep = 0;
	h->col = 0;
}

static void
hdr_keep(struct hdrbuf *h, const char *s, size_t n)
{
	if (n > sizeof(h->buf) - h->n)
		n = sizeof(h->buf) - h->n;
	memcpy(h->buf + h->n, s, n);
	h->n += n;
}

/*
 * Byte by byte, as a line may come in pieces: a line that starts with
 * "subject:" begins a Subject field, its folded lines (starting with
 * white space) continue it, and any other line ends it.  A header line
 * of a megabyte before the Subject must not push it out of the buffer.
 */
int
hdr_sink(void *arg, const void *p, size_t n)
{
	static const char	 subj[] = "subject:";
	struct hdrbuf		*h = arg;
	const char		*s = p;
	size_t			 i;

	for (i = 0; i < n; i++) {
		if (h->bol) {
			h->bol = 0;
			if (s[i] != ' ' && s[i] != '\t') {
				h->keep = 0;
				h->col = 0;
			}
		}
		if (!h->keep && h->col < sizeof(subj) - 1) {
			if (lower((unsigned char)s[i]) == subj[h->col]) {
				if (++h->col == sizeof(subj) - 1) {
					h->keep = 1;
					hdr_keep(h, subj, h->col);
				}
			} else
				h->col = sizeof(subj);	/* not this line */
		} else if (h->keep)
			hdr_keep(h, s + i, 1);
		if (s[i] == '\n')
			h->bol = 1;
	}
	return 0;
}

enum pass
journal_end(struct state *st, enum pass p)
{
	if (st->fd != -1 && fsync(st->fd) == -1) {
		log_errorx("state/%s: %s", st->file, strerror(errno));
		if (p == PASS_OK)
			p = PASS_TEMP;
	}
	if (state_close(st) == -1) {
		log_errorx("state/%s: %s", st->file, strerror(errno));
		if (p == PASS_OK)
			p = PASS_TEMP;
	}
	return p;
}

struct repub {
	struct fetch	*f;
	int		 failed;
};

static void
republish(void *arg, struct sent *e)
{
	struct repub	*r = arg;

	if (e->kind != 'p')
		return;
	switch (spool_relink(&r->f->mail, e->name, 1)) {
	case 0:
		log_info("message %s: mail/new/%s published after a crash",
		    e->key, e->name);
		break;
	case 1:
	case 2:
		break;
	default:
		if (errno == ENOENT)	/* published before the crash */
			break;
		log_errorx("mail/tmp/%s: %s", e->name, strerror(errno));
		r->failed = 1;
	}
}

int
republish_all(struct fetch *f, struct state *st)
{
	struct repub	r = { f, 0 };

	state_each(st, republish, &r);
	return r.failed ? -1 : 0;
}
