/*
 * The local half of fetching a message, the same for IMAP and POP3:
 * write it whole into mail/tmp, fsync, note it in the state as 'p', and
 * only then publish it to mail/new.  A crash before the note leaves an
 * unpublished tmp file and no record: the message is fetched again.  A
 * crash after it leaves a record whose tmp file republish() finishes.
 * Either way the server is only touched after the publish.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "mailfetch.h"

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
	if (spool_uniqname(name, sizeof(name)) == -1 ||
	    spool_create(&f->mail, name, &t->item) == -1) {
		(void)disk_fault("tmp/", name);
		return -1;
	}
	return 0;
}

int
take_sink(void *arg, const void *p, size_t n)
{
	struct taking	*t = arg;
	const char	*s = p;
	ssize_t		 w;

	if (t->over || t->err)
		return -1;
	if ((t->n += n) > (unsigned long long)t->limit) {
		t->over = 1;
		return -1;
	}
	while (n > 0) {
		if ((w = write(t->item.fd, s, n)) == -1) {
			if (errno == EINTR)
				continue;
			t->err = errno;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

enum pass
take_finish(struct fetch *f, struct taking *t, struct state *st,
    const char *key, const char *date, int *taken)
{
	const char	*name = t->item.name;

	*taken = 0;
	if (t->over) {
		spool_abort(&t->item);
		log_errorx("message %s: more than %lld bytes (message_bytes "
		    "limit): left on the server", key, t->limit);
		f->skipped++;
		return PASS_OK;
	}
	if (t->err == 0 && fsync(t->item.fd) == -1)
		t->err = errno;
	if (close(t->item.fd) == -1 && t->err == 0)
		t->err = errno;
	t->item.fd = -1;
	if (t->err != 0) {
		errno = t->err;
		spool_abort(&t->item);
		return disk_fault("tmp/", name);
	}
	if (state_note(st, 'p', key, name, date, 1) == -1) {
		log_errorx("state/%s: %s", st->file, strerror(errno));
		spool_abort(&t->item);
		return errno == ENOSPC ? PASS_DISK : PASS_TEMP;
	}
	/*
	 * From here the record stands and tmp/NAME must stay until it is
	 * in new/: a failure leaves it for the next pass to publish.
	 */
	if (spool_relink(&f->mail, name) == -1)
		return disk_fault("new/", name);
	log_info("message %s: %llu bytes to mail/new/%s", key, t->n, name);
	f->got++;
	*taken = 1;
	return PASS_OK;
}

static int
sink_conn(void *arg, const void *p, size_t n)
{
	return take_sink(arg, p, n);
}

enum pass
take(struct fetch *f, struct conn *c, struct state *st, const char *key,
    const char *date, unsigned long long n, int *taken)
{
	struct taking	t;
	enum conn_fault	cf;
	int		sunk;

	*taken = 0;
	if (n > (unsigned long long)f->message_bytes) {
		/* still read it: the session must stay in step */
		if ((cf = conn_bytes(c, n, NULL, NULL, &sunk)) != CONN_OK)
			return pass_of(cf);
		log_errorx("message %s: %llu bytes, more than %lld "
		    "(message_bytes limit): left on the server", key, n,
		    f->message_bytes);
		f->skipped++;
		return PASS_OK;
	}
	if (take_begin(f, &t) == -1) {
		(void)conn_bytes(c, n, NULL, NULL, &sunk);
		return errno == ENOSPC ? PASS_DISK : PASS_TEMP;
	}
	if ((cf = conn_bytes(c, n, sink_conn, &t, &sunk)) != CONN_OK) {
		spool_abort(&t.item);
		return pass_of(cf);
	}
	return take_finish(f, &t, st, key, date, taken);
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
	switch (spool_relink(&r->f->mail, e->name)) {
	case 0:
		log_info("message %s: mail/new/%s published after a crash",
		    e->key, e->name);
		break;
	case 1:
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
