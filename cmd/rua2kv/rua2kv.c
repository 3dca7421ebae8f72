/*
 * rua2kv: DMARC aggregate reports (XML) to one event line per record.
 *
 * Filter mode reads the named files (opened before the sandbox) or
 * stdin and writes events to stdout, in a stdio-only sandbox.  Spool
 * mode (-d) claims reports from SPOOL/xml/new and publishes one events
 * file per report into SPOOL/events/new, whole or not at all; a report
 * it refuses sends its input to SPOOL/xml/fail with the reason.
 */

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "event.h"
#include "inputs.h"
#include "limit.h"
#include "log.h"
#include "opts.h"
#include "parse.h"
#include "privdrop.h"
#include "sandbox.h"
#include "spool.h"
#include "wbuf.h"

static struct limits	lim;
static struct wbuf	out;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: rua2kv [-k] [-f json|kv] [-l level] [-L limit=value] "
	    "[-u user] [file ...]\n"
	    "       rua2kv -d spool [-k] [-f json|kv] [-l level] "
	    "[-L limit=value] [-u user]\n");
	exit(EX_USAGE);
}

/* ------------------------------------------------------------ filter */

struct filter {
	struct event_ctx	 ev;
	const char		*name;
	unsigned long		 events;
};

static int
filter_begin(void *arg, unsigned long report)
{
	struct filter	*f = arg;

	(void)report;
	event_report(&f->ev);
	return 0;
}

static long long
filter_record(void *arg, const struct header *h, const struct record *r)
{
	struct filter		*f = arg;
	unsigned long long	 before = out.total;

	event_write(&f->ev, &out, h, r);
	f->events++;
	return out.err != 0 ? -1 : (long long)(out.total - before);
}

static int
filter_end(void *arg, unsigned long report, const char *why)
{
	struct filter	*f = arg;

	if (why == NULL)
		return 0;
	if (report > 1)
		log_errorx("%s: report %lu: %s", f->name, report, why);
	else
		log_errorx("%s: %s", f->name, why);
	return 0;
}

static int
filter_one(int fd, const char *name, const char *file_name,
    enum event_format fmt)
{
	struct filter	f;
	struct sink	s = { &f, filter_begin, filter_record, filter_end };

	memset(&f, 0, sizeof(f));
	f.ev.format = fmt;
	f.ev.file_name = file_name;
	f.name = name;
	switch (parse_input(fd, name, &lim, &s)) {
	case PARSE_OK:
		return 0;
	case PARSE_BAD:
		return EX_DATAERR;
	case PARSE_READ:
		log_errorx("%s: read: %s", name, strerror(errno));
		return EX_IOERR;
	case PARSE_STOP:
		break;
	}
	return EX_IOERR;	/* stdout failed; main() says so */
}

static int
filter_main(int argc, char *argv[], enum event_format fmt,
    const struct privdrop *pd)
{
	struct inputs	in;
	int		i, rc = 0, r;

	if ((r = inputs_open(&in, argc, argv, &rc)) != 0)
		return r;
	parse_setup();
	if ((r = confine(pd, NULL, SANDBOX_STDIO, NULL)) != 0)
		exit(r);
	for (i = 0; i < in.n && out.err == 0; i++) {
		if (in.fds[i] == -1)
			continue;
		rc = exit_worse(rc, filter_one(in.fds[i], in.names[i],
		    in.paths[i] != NULL ? basename(in.paths[i]) :
		    NULL, fmt));
	}
	return inputs_done(&in, &out, rc);
}

/* ------------------------------------------------------------ spool */

struct spoolrun {
	struct stage		 xml, events;
	struct event_ctx	 ev;
	const char		*input;		/* the claimed xml item */
	struct spool_item	 item;
	int			 open;		/* item is being written */
	unsigned long		 events_n, reports, published;
	char			 why[600];	/* first refused report */
	int			 tempfail;	/* errno of a temporary fault */
};

/* Temporary: the disk or the system, not the report. */
static void
spool_fault(struct spoolrun *sr, const char *what)
{
	if (sr->tempfail == 0)
		sr->tempfail = errno ? errno : EIO;
	log_errorx("%s: %s: %s", sr->input, what, strerror(sr->tempfail));
}

static int
spool_begin(void *arg, unsigned long report)
{
	struct spoolrun	*sr = arg;

	(void)report;
	event_report(&sr->ev);
	return 0;
}

static long long
spool_record(void *arg, const struct header *h, const struct record *r)
{
	struct spoolrun		*sr = arg;
	char			 name[SPOOL_NAME_MAX + 1];
	unsigned long long	 before;

	if (!sr->open) {
		/* the events file of report k is "<input>-<k>" */
		if (spool_derived(name, sizeof(name), sr->input,
		    sr->reports + 1) == -1 ||
		    spool_create(&sr->events, name, &sr->item) == -1) {
			spool_fault(sr, "events/tmp");
			return -1;
		}
		wbuf_init(&out, sr->item.fd);
		sr->open = 1;
	}
	before = out.total;
	event_write(&sr->ev, &out, h, r);
	sr->events_n++;
	if (out.err != 0) {
		errno = out.err;
		spool_fault(sr, "events/tmp");
		return -1;
	}
	return (long long)(out.total - before);
}

static int
spool_end(void *arg, unsigned long report, const char *why)
{
	struct spoolrun	*sr = arg;
	int		 rc;

	sr->reports = report;
	if (why != NULL) {
		if (sr->open)
			spool_abort(&sr->item);
		sr->open = 0;
		log_errorx("%s: report %lu: %s", sr->input, report, why);
		if (sr->why[0] == '\0')
			(void)snprintf(sr->why, sizeof(sr->why),
			    "report %lu: %s", report, why);
		return 0;
	}
	if (!sr->open) {
		log_warnx("%s: report %lu has no records", sr->input, report);
		return 0;
	}
	sr->open = 0;
	if (wbuf_flush(&out) == -1) {
		spool_abort(&sr->item);
		spool_fault(sr, "events/tmp");
		return -1;
	}
	if ((rc = spool_publish(&sr->item)) == -1) {
		spool_fault(sr, "events/new");
		return -1;
	}
	if (rc > 0)
		log_info("%s: events/%s/%s already there: not replaced",
		    sr->input, rc == 1 ? "new" : "cur", sr->item.name);
	sr->published++;
	return 0;
}

/* One claimed report file, for spool_consume(). */
static enum spool_fate
spool_one(void *arg, const char *name, int fd, char *why, size_t whylen)
{
	struct spoolrun		*sr = arg;
	struct sink		 s = { sr, spool_begin, spool_record,
				    spool_end };
	enum parse_result	 res;

	sr->input = name;
	sr->open = 0;
	sr->tempfail = 0;
	sr->events_n = sr->reports = sr->published = 0;
	sr->why[0] = '\0';
	sr->ev.file_name = name;
	res = parse_input(fd, name, &lim, &s);
	(void)close(fd);
	if (sr->open)
		spool_abort(&sr->item);
	sr->open = 0;
	switch (res) {
	case PARSE_READ:
		spool_fault(sr, "read");
		return SPOOL_RETRY;
	case PARSE_STOP:
		return SPOOL_RETRY;	/* said by spool_fault() */
	case PARSE_BAD:
		(void)snprintf(why, whylen, "%s", sr->why);
		return SPOOL_FAIL;
	case PARSE_OK:
		break;
	}
	log_info("%s: %lu report(s), %lu event(s)", name, sr->published,
	    sr->events_n);
	return SPOOL_DONE;
}

static int
spool_main(const char *dir, enum event_format fmt, const struct privdrop *pd)
{
	struct spoolrun	 sr;
	long		 seen;
	int		 root, x;

	memset(&sr, 0, sizeof(sr));
	parse_setup();
	if ((x = spool_start(dir, pd, &root)) != 0 ||
	    (x = spool_stage(&sr.xml, root, dir, "xml", 1)) != 0 ||
	    (x = spool_stage(&sr.events, root, dir, "events", 0)) != 0 ||
	    (x = confine_spool(pd, 0, dir)) != 0)
		return x;
	sr.ev.format = fmt;
	while ((seen = spool_consume(&sr.xml, spool_one, &sr)) > 0)
		;
	return seen == -1 ? EX_TEMPFAIL : 0;
}

/* ------------------------------------------------------------ main */

int
main(int argc, char *argv[])
{
	struct privdrop		 pd;
	enum event_format	 fmt = FORMAT_JSON;
	const char		*spool = NULL, *user = NULL;
	int			 ch, x;

	log_init("rua2kv");
	limits_default(&lim);
	wbuf_init(&out, STDOUT_FILENO);
	while ((ch = getopt(argc, argv, "d:f:kl:L:u:")) != -1) {
		switch (ch) {
		case 'd':
			spool = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0)
				fmt = FORMAT_JSON;
			else if (strcmp(optarg, "kv") == 0)
				fmt = FORMAT_KV;
			else {
				log_errorx("-f %s: the format is json or kv",
				    optarg);
				usage();
			}
			break;
		default:
			if (opt_shared(ch, optarg, &lim, &user) != 1)
				usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (spool != NULL && argc > 0)
		usage();
	if ((x = opt_privdrop(&pd, user)) != 0)
		return x;
	if (spool != NULL)
		return spool_main(spool, fmt, &pd);
	return filter_main(argc, argv, fmt, &pd);
}
