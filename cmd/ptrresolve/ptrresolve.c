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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "inputs.h"
#include "log.h"
#include "opts.h"
#include "privdrop.h"
#include "resolve.h"
#include "sandbox.h"
#include "spool.h"
#include "wbuf.h"
#include "window.h"

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
	if (pub > 0)
		log_info("%s: %s/%s/%s already there: not replaced", name,
		    sr->outname, pub == 1 ? "new" : "cur", name);
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
