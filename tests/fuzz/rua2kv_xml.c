/*
 * rua2kv's reader and event writer, as its filter mode runs them: the
 * input is one file of aggregate reports, read by parse_input() through
 * the xmlsplit gate and libxml2 with the default limits, and every
 * record is written as a json line and as a kv line.  This is where
 * hostile XML meets our code, so besides the sanitizers each line is
 * held to what the output promises: one line, ending in its newline,
 * and in json a value mailfetch's JSON reader accepts.
 */
#include <sanitizer/lsan_interface.h>

#include <stdint.h>
#include <string.h>

#include "event.h"
#include "fuzz.h"
#include "json.h"
#include "limit.h"
#include "log.h"
#include "parse.h"
#include "wbuf.h"

struct out {
	struct event_ctx	json, kv;
	unsigned long		last;	/* the last report number seen */
	unsigned long		open;	/* the report begun, not ended */
	unsigned long		ends;
};

static struct limits	lim;
static struct wbuf	line;	/* one event line, in memory */

/* A line that fits the buffer must be one whole line. */
static void
check_line(const char *fmt)
{
	struct json	j;
	char		why[200];
	const char	*nl;

	if (line.err != 0)
		return;		/* longer than the buffer: not kept */
	nl = memchr(line.buf, '\n', line.len);
	if (nl == NULL || nl != line.buf + line.len - 1)
		fuzz_fail("%s: an event that is not one line", fmt);
	if (strcmp(fmt, "json") != 0)
		return;
	if (json_parse(&j, line.buf, line.len - 1, why, sizeof(why)) == -1)
		fuzz_fail("json: an event that is not JSON: %s", why);
	json_free(&j);
}

static int
on_begin(void *arg, unsigned long report)
{
	struct out	*o = arg;

	/* numbers rise; a document refused before <feedback> has one */
	if (o->open != 0 || report <= o->last)
		fuzz_fail("report %lu begins after %lu (%lu open)", report,
		    o->last, o->open);
	o->last = o->open = report;
	event_report(&o->json);
	event_report(&o->kv);
	return 0;
}

/* The JSON event's bytes, as rua2kv counts them against event_ratio. */
static long long
on_record(void *arg, const struct header *h, const struct record *r)
{
	struct out		*o = arg;
	unsigned long long	 bytes;

	wbuf_init(&line, -1);
	event_write(&o->json, &line, h, r);
	bytes = line.total;
	check_line("json");
	wbuf_init(&line, -1);
	event_write(&o->kv, &line, h, r);
	check_line("kv");
	return (long long)bytes;
}

static int
on_end(void *arg, unsigned long report, const char *why)
{
	struct out	*o = arg;

	if (why != NULL && why[0] == '\0')
		fuzz_fail("report %lu refused without a reason", report);
	if (o->open != 0 ? report != o->open : report <= o->last)
		fuzz_fail("report %lu ends after %lu (%lu open)", report,
		    o->last, o->open);
	o->last = report;
	o->open = 0;
	o->ends++;
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	log_init("rua2kv");
	limits_default(&lim);
	/* its iconv descriptors stay open for good, on purpose */
	__lsan_disable();
	parse_setup();
	__lsan_enable();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct out	o;	/* two event_ctx: 128 KiB */
	struct sink		s = { &o, on_begin, on_record, on_end };
	enum parse_result	res;

	memset(&o, 0, sizeof(o));
	o.json.format = FORMAT_JSON;
	o.kv.format = FORMAT_KV;
	res = parse_input(fuzz_fd(data, size), "fuzz", &lim, &s);
	if (res != PARSE_OK && res != PARSE_BAD)
		fuzz_fail("parse_input: %d on memory that can't fail", res);
	if (o.open != 0)
		fuzz_fail("report %lu never ends", o.open);
	if (res == PARSE_OK && o.ends == 0)
		fuzz_fail("PARSE_OK without a report");
	return 0;
}
