/*
 * ptrresolve: fill source_hostname in DMARC event lines from PTR
 * lookups, many at once, lines out in the order they came.
 *
 * A window of lines waits for its answers; a line leaves when every line
 * before it has.  Nothing on a line changes but source_hostname's value
 * (and, with -F, a source_hostname_unconfirmed field after it).  Filter
 * mode reads stdin or the named files; spool mode (-d) turns each file
 * of SPOOL/events/new into one of SPOOL/out/new, published whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "inputs.h"
#include "log.h"
#include "opts.h"
#include "privdrop.h"
#include "resolve.h"
#include "sandbox.h"
#include "spool.h"
#include "wbuf.h"

#define WINDOW		4096		/* lines waiting for answers */
#define WINDOW_BYTES	(32 * 1024 * 1024)	/* ... and their bytes */
#define ROOM(r)		((r)->n < WINDOW && (r)->bytes < WINDOW_BYTES)
#define LINE_MAX_BYTES	(16 * 1024 * 1024)

struct line {
	char		*buf;		/* with its newline, if any */
	size_t		 len;
	size_t		 voff, vlen;	/* source_hostname's value */
	int		 json;
	struct answer	*a;		/* NULL: written as it came */
};

struct run {
	struct resolver	*res;		/* NULL: -N */
	struct wbuf	*out;
	const char	*name;		/* the input, for messages */
	struct line	 win[WINDOW];
	size_t		 head, n;	/* the window, a ring */
	size_t		 bytes;		/* held in it */
	unsigned long	 lineno;
};

static struct wbuf	out;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ptrresolve [-FkN] [-c inflight] [-l level] [-r retries] "
	    "[-s addr[:port]] ...\n"
	    "                  [-t seconds] [-u user] [file ...]\n"
	    "       ptrresolve -d spool [-FkN] [-c inflight] [-l level] "
	    "[-o dir] [-r retries]\n"
	    "                  [-s addr[:port]] ... [-t seconds] "
	    "[-u user]\n");
	exit(EX_USAGE);
}

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

/*
 * All of one input, from fd to r->out.  Returns 0 (lines it could not
 * read were warned about and passed through), or an exit status.
 */
static int
run_input(struct run *r, int fd)
{
	char	*buf = NULL, *nb, *nl;
	size_t	 len = 0, cap = 0, off;
	ssize_t	 got;
	int	 in_eof = 0, rc = 0;

	r->head = r->n = r->bytes = 0;
	r->lineno = 0;
	for (;;) {
		flush_ready(r);
		if (r->out->err != 0)
			break;
		/* the whole lines already read, as the window has room
		 * (none before the first read: buf is still NULL) */
		for (off = 0; len > 0 && ROOM(r) && (nl = memchr(buf + off,
		    '\n', len - off)) != NULL; off = (size_t)(nl - buf) + 1)
			if (line_add(r, buf + off, (size_t)(nl - buf) + 1 -
			    off) == -1) {
				rc = EX_OSERR;
				break;
			}
		if (off > 0) {
			memmove(buf, buf + off, len - off);
			len -= off;
		}
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
			cap = cap ? cap * 2 : 64 * 1024;
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

/* ------------------------------------------------------------ filter */

static int
filter_main(int argc, char *argv[], struct run *r, const struct privdrop *pd)
{
	struct inputs	in;
	int		i, rc = 0, x;

	if ((x = inputs_open(&in, argc, argv, &rc)) != 0)
		return x;
	if ((x = confine(pd, NULL, r->res != NULL ? SANDBOX_DNS :
	    SANDBOX_STDIO, NULL)) != 0)
		exit(x);
	r->out = &out;
	for (i = 0; i < in.n && out.err == 0; i++) {
		if (in.fds[i] == -1)
			continue;
		r->name = in.names[i];
		rc = exit_worse(rc, run_input(r, in.fds[i]));
	}
	rc = inputs_done(&in, &out, rc);
	if (r->res != NULL)
		log_info("%lu queries", res_queries(r->res));
	return rc;
}

/* ------------------------------------------------------------ spool */

struct spoolrun {
	struct run	*r;
	struct stage	 events, outs;
	const char	*outname;	/* "out", or -o's directory */
};

/* One events file to out/new under the same name, for spool_consume(). */
static enum spool_fate
spool_one(void *arg, const char *name, int fd, char *why, size_t whylen)
{
	struct spoolrun		*sr = arg;
	struct spool_item	 item;
	struct wbuf		*w;
	int			 rc, pub;

	if ((w = malloc(sizeof(*w))) == NULL) {
		log_errorx("out of memory");
		(void)close(fd);
		return SPOOL_RETRY;
	}
	if (spool_create(&sr->outs, name, &item) == -1) {
		log_errorx("%s: %s/tmp: %s", name, sr->outname,
		    strerror(errno));
		(void)close(fd);
		free(w);
		return SPOOL_RETRY;
	}
	wbuf_init(w, item.fd);
	sr->r->out = w;
	sr->r->name = name;
	rc = run_input(sr->r, fd);
	(void)close(fd);
	if (rc == EX_DATAERR) {		/* said: a line too long */
		spool_abort(&item);
		free(w);
		(void)snprintf(why, whylen, "a line longer than %d bytes",
		    LINE_MAX_BYTES);
		return SPOOL_FAIL;
	}
	if (rc != 0 || wbuf_flush(w) == -1) {
		if (w->err != 0)
			log_errorx("%s: %s/tmp: %s", name, sr->outname,
			    strerror(w->err));
		spool_abort(&item);
		free(w);
		return SPOOL_RETRY;
	}
	free(w);
	if ((pub = spool_publish(&item)) == -1) {
		log_errorx("%s: %s/new: %s", name, sr->outname,
		    strerror(errno));
		return SPOOL_RETRY;
	}
	if (pub == 1)
		log_info("%s: %s/new/%s already there: not replaced", name,
		    sr->outname,
		    name);
	log_info("%s: %lu line(s) to %s/new", name, sr->r->lineno,
	    sr->outname);
	return SPOOL_DONE;
}

/*
 * With -o the final files go to a directory of their own, opened before
 * the chroot into the spool and handed to the sandbox beside it.
 */
static int
spool_main(const char *dir, const char *outdir, struct run *r,
    const struct privdrop *pd)
{
	struct spoolrun	 sr;
	long		 seen;
	int		 root, x, outfd = -1;

	memset(&sr, 0, sizeof(sr));
	sr.r = r;
	sr.outname = outdir != NULL ? outdir : "out";
	if (outdir != NULL && ((outfd = open(outdir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || sandbox_allow_dir(outdir, outfd) == -1)) {
		log_errorx("-o %s: %s", outdir, strerror(errno));
		return EX_CANTCREAT;
	}
	if ((x = spool_start(dir, pd, &root)) != 0 ||
	    (x = spool_stage(&sr.events, root, dir, "events", 1)) != 0 ||
	    (x = spool_stage(&sr.outs, outfd != -1 ? outfd : root,
	    outfd != -1 ? outdir : dir, outfd != -1 ? "." : "out", 0)) != 0 ||
	    (x = confine_spool(pd, r->res != NULL ? SANDBOX_DNS : 0,
	    dir)) != 0)
		return x;
	while ((seen = spool_consume(&sr.events, spool_one, &sr)) > 0)
		;
	if (r->res != NULL)
		log_info("%lu queries", res_queries(r->res));
	return seen == -1 ? EX_TEMPFAIL : 0;
}

/* ------------------------------------------------------------ main */

int
main(int argc, char *argv[])
{
	static struct run	 r;
	struct privdrop		 pd;
	struct res_opts		 o = { NULL, 2, 1, 64, 0 };
	const char		*servers[RES_SERVERS_MAX + 1];
	const char		*spool = NULL, *outdir = NULL, *user = NULL;
	long long		 v;
	int			 ch, x, nservers = 0, lookups = 1;

	log_init("ptrresolve");
	wbuf_init(&out, STDOUT_FILENO);
	while ((ch = getopt(argc, argv, "c:d:Fkl:No:r:s:t:u:")) != -1) {
		switch (ch) {
		case 'c':
			if ((v = opt_num(ch, optarg, 1, 4096)) == -1)
				usage();
			o.inflight = (int)v;
			break;
		case 'd':
			spool = optarg;
			break;
		case 'F':
			o.confirm = 1;
			break;
		case 'N':
			lookups = 0;
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'r':
			if ((v = opt_num(ch, optarg, 0, 10)) == -1)
				usage();
			o.retries = (int)v;
			break;
		case 's':
			if (nservers == RES_SERVERS_MAX) {
				log_errorx("-s %s: at most %d servers", optarg,
				    RES_SERVERS_MAX);
				usage();
			}
			if (res_server(optarg, NULL) == -1) {
				log_errorx("-s %s: not an address, "
				    "address:port or [v6]:port", optarg);
				usage();
			}
			servers[nservers++] = optarg;
			break;
		case 't':
			if ((v = opt_num(ch, optarg, 1, 60)) == -1)
				usage();
			o.timeout = (int)v;
			break;
		default:
			if (opt_shared(ch, optarg, NULL, &user) != 1)
				usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((spool != NULL && argc > 0) || (outdir != NULL && spool == NULL))
		usage();
	servers[nservers] = NULL;
	if (nservers > 0)
		o.servers = servers;
	if ((x = opt_privdrop(&pd, user)) != 0)
		return x;
	/* the resolver reads its configuration and opens its socket now */
	if (lookups && (r.res = res_new(&o)) == NULL)
		return EX_UNAVAILABLE;
	if (spool != NULL)
		return spool_main(spool, outdir, &r, &pd);
	return filter_main(argc, argv, &r, &pd);
}
