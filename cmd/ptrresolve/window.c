/*
 * A line is found by its newline and held whole until it leaves; a
 * field is found by its key's text ("source_ip": " in json, a kv key at
 * the line's start or after ", "), never by parsing the line, so that
 * nothing on it but source_hostname's value can change.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "window.h"

#define ROOM(r)		((r)->n < WINDOW && (r)->bytes < WINDOW_BYTES)

/* The value of a string field: its offset and length, or -1. */
static int
field(const char *buf, size_t len, const char *key, int json, size_t *off,
    size_t *vlen)
{
	char		 pat[40];
	const char	*p = buf, *end = buf + len, *q;
	size_t		 n;

	n = (size_t)snprintf(pat, sizeof(pat), json ? "\"%s\": \"" : "%s=\"",
	    key);
	while ((q = memmem(p, (size_t)(end - p), pat, n)) != NULL) {
		/* a kv key starts the line or follows ", " */
		if (json || q == buf || (q - buf >= 2 && q[-1] == ' ' &&
		    q[-2] == ','))
			break;
		p = q + 1;
	}
	if (q == NULL)
		return -1;
	for (p = q + n; p < end && *p != '"'; p++)
		if (*p == '\\')
			p++;
	if (p >= end)
		return -1;
	*off = (size_t)(q + n - buf);
	*vlen = (size_t)(p - (q + n));
	return 0;
}

static void
put_escaped(struct wbuf *w, const char *s)
{
	static const char	hex[] = "0123456789abcdef";
	char			u[6] = { '\\', 'u', '0', '0', 0, 0 };

	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			wbuf_putc(w, '\\');
			wbuf_putc(w, *s);
		} else if ((unsigned char)*s < 0x20) {
			u[4] = hex[(unsigned char)*s >> 4];
			u[5] = hex[*s & 0xf];
			wbuf_put(w, u, sizeof(u));
		} else
			wbuf_putc(w, *s);
	}
}

static void
line_write(struct run *r, struct line *l)
{
	const char	*text = "-";	/* -N */

	if (r->res != NULL) {
		if (l->a == NULL) {
			wbuf_put(r->out, l->buf, l->len);
			return;
		}
		text = l->a->text;
	}
	wbuf_put(r->out, l->buf, l->voff);
	put_escaped(r->out, text);
	wbuf_putc(r->out, '"');
	if (l->a != NULL && l->a->unconfirmed != NULL) {
		wbuf_puts(r->out, l->json ? ", \"source_hostname_unconfirmed\": "
		    "\"" : ", source_hostname_unconfirmed=\"");
		put_escaped(r->out, l->a->unconfirmed);
		wbuf_putc(r->out, '"');
	}
	wbuf_put(r->out, l->buf + l->voff + l->vlen + 1,
	    l->len - l->voff - l->vlen - 1);
}

/* Take one line into the window. */
static int
line_add(struct run *r, const char *buf, size_t len)
{
	struct line	*l = &r->win[(r->head + r->n) % WINDOW];
	size_t		 ioff, ilen, i;
	char		 ip[64];

	r->lineno++;
	memset(l, 0, sizeof(*l));
	if ((l->buf = malloc(len)) == NULL) {
		log_errorx("out of memory");
		return -1;
	}
	memcpy(l->buf, buf, len);
	l->len = len;
	r->bytes += len;
	for (i = 0; i < len && (buf[i] == ' ' || buf[i] == '\t'); i++)
		;
	l->json = i < len && buf[i] == '{';
	if (field(buf, len, "source_ip", l->json, &ioff, &ilen) == -1 ||
	    field(buf, len, "source_hostname", l->json, &l->voff,
	    &l->vlen) == -1) {
		log_warnx("%s: line %lu: no source_ip and source_hostname: "
		    "passed through", r->name, r->lineno);
		l->voff = (size_t)-1;
	} else if (r->res != NULL) {
		if (ilen >= sizeof(ip))
			ilen = sizeof(ip) - 1;	/* too long: no address */
		memcpy(ip, buf + ioff, ilen);
		ip[ilen] = '\0';
		if ((l->a = res_lookup(r->res, ip)) == NULL) {
			log_warnx("%s: line %lu: source_ip %s is not an "
			    "address: passed through", r->name, r->lineno, ip);
			l->voff = (size_t)-1;
		}
	}
	r->n++;
	return 0;
}

/* Write the lines at the head of the window whose answers are in. */
static void
flush_ready(struct run *r)
{
	struct line	*l;

	while (r->n > 0) {
		l = &r->win[r->head];
		if (l->a != NULL && !l->a->done)
			break;
		if (l->voff == (size_t)-1)
			wbuf_put(r->out, l->buf, l->len);
		else
			line_write(r, l);
		if (l->a != NULL)
			res_release(r->res, l->a);
		r->bytes -= l->len;
		free(l->buf);
		r->head = (r->head + 1) % WINDOW;
		r->n--;
	}
}

/*
 * Wait for DNS answers and, if want_input, for fd.  Returns 1 when fd
 * is readable.
 */
static int
wait_some(struct run *r, int fd, int want_input)
{
	struct pollfd	pfd[2];
	nfds_t		n = 0;
	int		ms = -1, dnsfd = -1;
	time_t		now = time(NULL);

	if (want_input) {
		pfd[n].fd = fd;
		pfd[n++].events = POLLIN;
	}
	if (r->res != NULL && res_busy(r->res)) {
		ms = res_wait(r->res, now);
		if ((dnsfd = res_fd(r->res)) >= 0) {
			pfd[n].fd = dnsfd;
			pfd[n++].events = POLLIN;
		}
	}
	if (n == 0)
		return 0;
	if (poll(pfd, n, want_input && ms < 0 ? -1 : ms) == -1) {
		if (errno != EINTR)
			log_errorx("poll: %s", strerror(errno));
		return 0;
	}
	if (dnsfd >= 0 && (pfd[n - 1].revents & POLLIN))
		res_readable(r->res, time(NULL));
	else if (dnsfd >= 0)
		(void)res_wait(r->res, time(NULL));	/* timeouts */
	return want_input && pfd[0].revents != 0;
}

int
run_input(struct run *r, int fd)
{
	char	*buf, *nb, *nl;
	size_t	 len = 0, cap = 64 * 1024, off;
	ssize_t	 got;
	int	 in_eof = 0, rc = 0;

	r->head = r->n = r->bytes = 0;
	r->lineno = 0;
	/* never NULL: the scans below take buf + off even when len is 0 */
	if ((buf = malloc(cap)) == NULL) {
		log_errorx("out of memory");
		return EX_OSERR;
	}
	for (;;) {
		flush_ready(r);
		if (r->out->err != 0)
			break;
		/* the whole lines already read, as the window has room */
		for (off = 0; ROOM(r) && (nl = memchr(buf + off, '\n',
		    len - off)) != NULL; off = (size_t)(nl - buf) + 1)
			if (line_add(r, buf + off, (size_t)(nl - buf) + 1 -
			    off) == -1) {
				rc = EX_OSERR;
				break;
			}
		memmove(buf, buf + off, len - off);
		len -= off;
		if (rc != 0)
			break;
		if (in_eof && len > 0 && ROOM(r) &&
		    memchr(buf, '\n', len) == NULL) {
			/* the last line, without its newline */
			if (line_add(r, buf, len) == -1) {
				rc = EX_OSERR;
				break;
			}
			len = 0;
		}
		if (in_eof && len == 0 && r->n == 0)
			break;
		if (in_eof || !ROOM(r)) {
			(void)wait_some(r, fd, 0);
			continue;
		}
		/* with queries out, read only what is there */
		if (r->res != NULL && res_busy(r->res) &&
		    !wait_some(r, fd, 1))
			continue;
		if (len == cap) {
			if (cap >= LINE_MAX_BYTES) {
				log_errorx("%s: line %lu longer than %d bytes",
				    r->name, r->lineno + 1, LINE_MAX_BYTES);
				rc = EX_DATAERR;
				break;
			}
			cap *= 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				log_errorx("out of memory");
				rc = EX_OSERR;
				break;
			}
			buf = nb;
		}
		got = read(fd, buf + len, cap - len);
		if (got == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got == -1) {
			log_errorx("%s: read: %s", r->name, strerror(errno));
			rc = EX_IOERR;
			break;
		}
		if (got == 0)
			in_eof = 1;
		len += (size_t)got;
	}
	/* on an error, what is in the window still goes, as it came */
	while (r->n > 0) {
		if (r->win[r->head].a != NULL && !r->win[r->head].a->done) {
			(void)wait_some(r, fd, 0);
			flush_ready(r);
			continue;
		}
		flush_ready(r);
	}
	free(buf);
	return rc;
}
