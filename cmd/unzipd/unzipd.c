/*
 * unzipd: DMARC report mails, zips, gzips and XML files to one XML
 * report per file.
 *
 * Spool mode (-d) takes whole messages from SPOOL/mail/new and files
 * dropped into SPOOL/drop (loose, after a quiet period, or through
 * drop/tmp and drop/new), and publishes every report it finds into
 * SPOOL/xml/new as "<input>-<k>"; an input it refuses goes to its
 * stage's fail/ with the reason.  Filter mode (-x) writes the reports
 * of the named files, or of stdin, to stdout.  Either way no network,
 * no exec: a sandbox after start.
 */

#include <errno.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "inputs.h"
#include "limit.h"
#include "log.h"
#include "opts.h"
#include "privdrop.h"
#include "sandbox.h"
#include "spool.h"
#include "unpack.h"
#include "wbuf.h"

#define WHY_MAX	600

static struct limits	lim;
static struct wbuf	out;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: unzipd -d spool [-k] [-l level] [-L limit=value] "
	    "[-q seconds] [-u user]\n"
	    "       unzipd -x [-k] [-l level] [-L limit=value] [-u user] "
	    "[file ...]\n");
	exit(EX_USAGE);
}

/*
 * The whole input, up to message_bytes.  Returns 0, 1 when it is larger
 * (refused), or -1 on a read error (errno).
 */
static int
read_all(int fd, unsigned char **bufp, size_t *lenp)
{
	unsigned char	*buf = NULL, *nb;
	size_t		 len = 0, cap = 0, max = (size_t)lim.message_bytes;
	ssize_t		 n;

	*bufp = NULL;
	*lenp = 0;
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				free(buf);
				return 1;
			}
			cap = cap ? cap * 2 : 64 * 1024;
			if (cap > max + 1)
				cap = max + 1;
			if ((nb = realloc(buf, cap)) == NULL) {
				free(buf);
				return -1;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return 1;
		}
	}
	*bufp = buf;
	*lenp = len;
	return 0;
}

/* ------------------------------------------------------------ filter */

/*
 * A report goes to stdout only once it is whole, so that a refused one
 * leaves nothing half-written for the next program to trip over; past
 * PENDING_MAX bytes it streams (memory stays bounded), and a refusal
 * after that is said.
 */
#define PENDING_MAX	(1024 * 1024)

static struct {
	unsigned char	*buf;
	size_t		 len;
	int		 streaming;
	const char	*input;
} pend;

static int
stdout_begin(void *arg, unsigned long k)
{
	(void)arg, (void)k;
	pend.len = 0;
	pend.streaming = 0;
	return 0;
}

static int
stdout_write(void *arg, const void *p, size_t n)
{
	(void)arg;
	if (!pend.streaming && n <= PENDING_MAX - pend.len) {
		memcpy(pend.buf + pend.len, p, n);
		pend.len += n;
		return 0;
	}
	if (!pend.streaming) {
		wbuf_put(&out, pend.buf, pend.len);
		pend.streaming = 1;
	}
	wbuf_put(&out, p, n);
	return out.err != 0 ? -1 : 0;
}

static int
stdout_end(void *arg, unsigned long k)
{
	(void)arg, (void)k;
	if (!pend.streaming)
		wbuf_put(&out, pend.buf, pend.len);
	pend.len = 0;
	return out.err != 0 ? -1 : 0;
}

static void
stdout_abort(void *arg, unsigned long k)
{
	(void)arg;
	if (pend.streaming)
		log_warnx("%s: report %lu was partly written to stdout",
		    pend.input, k);
	pend.len = 0;
	pend.streaming = 0;
}

static int
filter_one(int fd, const char *name)
{
	static const struct report_out o = { NULL, stdout_begin,
	    stdout_write, stdout_end, stdout_abort };
	unsigned char	*buf;
	size_t		 len;
	unsigned long	 reports;
	char		 why[WHY_MAX];
	int		 r;

	pend.input = name;
	if ((r = read_all(fd, &buf, &len)) == -1) {
		log_errorx("%s: read: %s", name, strerror(errno));
		return EX_IOERR;
	}
	if (r == 1) {
		log_errorx("%s: larger than %lld bytes (message_bytes limit)",
		    name, lim.message_bytes);
		return EX_DATAERR;
	}
	switch (unpack(buf, len, &lim, &o, &reports, why, sizeof(why))) {
	case UNPACK_OK:
		log_debug("%s: %lu report(s)", name, reports);
		r = 0;
		break;
	case UNPACK_BAD:
		log_errorx("%s: %s", name, why);
		r = EX_DATAERR;
		break;
	case UNPACK_FAULT:
		r = EX_IOERR;	/* stdout: main() says so */
		break;
	}
	free(buf);
	return r;
}

static int
filter_main(int argc, char *argv[], const struct privdrop *pd)
{
	struct inputs	in;
	int		i, rc = 0, r;

	if ((pend.buf = malloc(PENDING_MAX)) == NULL) {
		log_errorx("out of memory");
		return EX_OSERR;
	}
	if ((r = inputs_open(&in, argc, argv, &rc)) != 0)
		return r;
	unpack_setup();
	if ((r = confine(pd, NULL, SANDBOX_STDIO, NULL)) != 0)
		exit(r);
	for (i = 0; i < in.n && out.err == 0; i++)
		if (in.fds[i] != -1)
			rc = exit_worse(rc, filter_one(in.fds[i], in.names[i]));
	free(pend.buf);
	return inputs_done(&in, &out, rc);
}

/* ------------------------------------------------------------ spool */

struct spoolrun {
	struct stage		 xml;
	const char		*input;
	struct spool_item	 item;
	struct wbuf		 w;
	int			 open;
};

/* A temporary fault: the disk or the system, not the input. */
static void
spool_fault(struct spoolrun *sr, const char *what)
{
	log_errorx("%s: %s: %s", sr->input, what, strerror(errno));
}

static int
item_begin(void *arg, unsigned long k)
{
	struct spoolrun	*sr = arg;
	char		 name[SPOOL_NAME_MAX + 1];

	if (spool_derived(name, sizeof(name), sr->input, k) == -1 ||
	    spool_create(&sr->xml, name, &sr->item) == -1)
		return -1;
	wbuf_init(&sr->w, sr->item.fd);
	sr->open = 1;
	return 0;
}

static int
item_write(void *arg, const void *p, size_t n)
{
	struct spoolrun	*sr = arg;

	wbuf_put(&sr->w, p, n);
	if (sr->w.err != 0) {
		errno = sr->w.err;
		return -1;
	}
	return 0;
}

static int
item_end(void *arg, unsigned long k)
{
	struct spoolrun	*sr = arg;
	int		 rc;

	(void)k;
	sr->open = 0;
	if (wbuf_flush(&sr->w) == -1) {
		spool_abort(&sr->item);
		return -1;
	}
	if ((rc = spool_publish(&sr->item)) == -1)
		return -1;
	if (rc > 0)
		log_info("%s: xml/%s/%s already there: not replaced",
		    sr->input, rc == 1 ? "new" : "cur", sr->item.name);
	return 0;
}

static void
item_abort(void *arg, unsigned long k)
{
	struct spoolrun	*sr = arg;

	(void)k;
	if (sr->open)
		spool_abort(&sr->item);
	sr->open = 0;
}

/* One claimed input, for spool_consume(). */
static enum spool_fate
spool_one(void *arg, const char *name, int fd, char *why, size_t whylen)
{
	struct spoolrun		*sr = arg;
	const struct report_out	 o = { sr, item_begin, item_write, item_end,
	    item_abort };
	enum unpack_result	 res;
	unsigned char		*buf;
	size_t			 len;
	unsigned long		 reports = 0;
	int			 r, saved;

	sr->input = name;
	sr->open = 0;
	r = read_all(fd, &buf, &len);
	(void)close(fd);
	if (r == -1) {
		spool_fault(sr, "read");
		return SPOOL_RETRY;
	}
	if (r == 1) {
		(void)snprintf(why, whylen, "larger than %lld bytes "
		    "(message_bytes limit)", lim.message_bytes);
		return SPOOL_FAIL;
	}
	res = unpack(buf, len, &lim, &o, &reports, why, whylen);
	saved = errno;
	free(buf);
	switch (res) {
	case UNPACK_OK:
		log_info("%s: %lu report(s) to xml/new", name, reports);
		return SPOOL_DONE;
	case UNPACK_BAD:
		return SPOOL_FAIL;
	case UNPACK_FAULT:
		item_abort(sr, 0);
		errno = saved;
		if (errno == ENAMETOOLONG) {
			/* the input's own fault: it can never work */
			(void)snprintf(why, whylen, "the name is too long to "
			    "name its reports after it");
			return SPOOL_FAIL;
		}
		spool_fault(sr, "xml/tmp");
		break;
	}
	return SPOOL_RETRY;
}

static int
spool_main(const char *dir, time_t quiet, const struct privdrop *pd)
{
	struct spoolrun	 sr;
	struct stage	 mail, drop;
	unsigned long	 moved;
	long		 seen, more;
	int		 root, x;

	memset(&sr, 0, sizeof(sr));
	unpack_setup();
	if ((x = spool_start(dir, pd, &root)) != 0 ||
	    (x = spool_stage(&mail, root, dir, "mail", 1)) != 0 ||
	    (x = spool_stage(&drop, root, dir, "drop", 1)) != 0 ||
	    (x = spool_stage(&sr.xml, root, dir, "xml", 0)) != 0)
		return x;
	if (spool_adopt(&drop, quiet, &moved) == -1) {
		log_errorx("%s/drop: %s", dir, strerror(errno));
		return EX_TEMPFAIL;
	}
	if (moved > 0)
		log_info("%s/drop: %lu dropped file(s) taken", dir, moved);
	if ((x = confine_spool(pd, 0, dir)) != 0)
		return x;
	do {
		if ((seen = spool_consume(&mail, spool_one, &sr)) == -1 ||
		    (more = spool_consume(&drop, spool_one, &sr)) == -1)
			return EX_TEMPFAIL;
	} while (seen + more > 0);
	return 0;
}

/* ------------------------------------------------------------ main */

int
main(int argc, char *argv[])
{
	struct privdrop	 pd;
	const char	*spool = NULL, *user = NULL;
	long long	 quiet = 10;
	int		 ch, x, xflag = 0, quiet_set = 0;

	log_init("unzipd");
	/*
	 * libarchive converts zip member names to the locale's charset and
	 * warns when it can't, which refuses the input: in the C locale any
	 * name beyond ASCII would.  The names are only ever shown, as UTF-8
	 * (text_shown()).  Loaded here, before the sandbox and the change
	 * of root directory; where it is missing, such names stay refused.
	 */
	(void)setlocale(LC_CTYPE, "C.UTF-8");
#ifdef __GLIBC__
	/*
	 * Every input allocates and frees the same few large buffers
	 * (libarchive's and zlib's among them); without this glibc gives
	 * the heap back and takes it again each time, eight brk(2) calls
	 * and their page faults per input.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
	(void)mallopt(M_TOP_PAD, 1024 * 1024);
#endif
	limits_default(&lim);
	wbuf_init(&out, STDOUT_FILENO);
	while ((ch = getopt(argc, argv, "d:kl:L:q:u:x")) != -1) {
		switch (ch) {
		case 'd':
			spool = optarg;
			break;
		case 'q':
			quiet_set = 1;
			if ((quiet = opt_num(ch, optarg, 0, 86400)) == -1)
				usage();
			break;
		case 'x':
			xflag = 1;
			break;
		default:
			if (opt_shared(ch, optarg, &lim, &user) != 1)
				usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((spool != NULL) == xflag || (spool != NULL && argc > 0) ||
	    (xflag && quiet_set))
		usage();
	if ((x = opt_privdrop(&pd, user)) != 0)
		return x;
	if (spool != NULL)
		return spool_main(spool, (time_t)quiet, &pd);
	return filter_main(argc, argv, &pd);
}
