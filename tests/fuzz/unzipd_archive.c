/*
 * unzipd's unpacking of one input, as its filter and spool modes call
 * unpack(): sniffing, gzip and zip through libarchive (nested up to the
 * nesting limit, from memory and from another archive's entry), the
 * report_bytes and ratio budgets, and the cutting of XML into reports,
 * all with the default limits.  A mail goes through the MIME walker on
 * its way (unzipd_mime fuzzes that alone).  The reports go to a sink
 * that holds the output protocol of unpack.h to its word: reports
 * numbered 1, 2, 3..., bytes only inside an open one, each ended or
 * aborted once, and no more bytes out than report_bytes.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "limit.h"
#include "log.h"
#include "unpack.h"

struct sink {
	unsigned long	k;		/* the last report begun */
	int		open;
	unsigned long	ended;
	long long	bytes;		/* of every report */
	unsigned	sum;		/* of every byte, to read them */
};

static struct limits	lim;

static int
on_begin(void *arg, unsigned long k)
{
	struct sink	*s = arg;

	if (s->open || k != s->k + 1)
		fuzz_fail("report %lu begins after %lu (open %d)", k, s->k,
		    s->open);
	s->k = k;
	s->open = 1;
	return 0;
}

static int
on_write(void *arg, const void *p, size_t n)
{
	struct sink		*s = arg;
	const unsigned char	*b = p;
	size_t			 i;

	if (!s->open || n == 0)
		fuzz_fail("%zu bytes written to report %lu (open %d)", n,
		    s->k, s->open);
	for (i = 0; i < n; i++)
		s->sum += b[i];
	if ((s->bytes += (long long)n) > lim.report_bytes)
		fuzz_fail("%lld bytes out, over report_bytes", s->bytes);
	return 0;
}

static int
on_end(void *arg, unsigned long k)
{
	struct sink	*s = arg;

	if (!s->open || k != s->k)
		fuzz_fail("report %lu ends, %lu is open (%d)", k, s->k,
		    s->open);
	s->open = 0;
	s->ended++;
	return 0;
}

static void
on_abort(void *arg, unsigned long k)
{
	struct sink	*s = arg;

	if (!s->open || k != s->k)
		fuzz_fail("report %lu aborted, %lu is open (%d)", k, s->k,
		    s->open);
	s->open = 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	log_init("unzipd");
	limits_default(&lim);
	unpack_setup();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink		s;
	struct report_out	o = { &s, on_begin, on_write, on_end,
				    on_abort };
	enum unpack_result	res;
	unsigned long		reports;
	char			why[600];

	memset(&s, 0, sizeof(s));
	res = unpack(data, size, &lim, &o, &reports, why, sizeof(why));
	if (s.open)
		fuzz_fail("report %lu left open", s.k);
	if (reports != s.k)
		fuzz_fail("%lu reports said, %lu begun", reports, s.k);
	switch (res) {
	case UNPACK_OK:
		if (s.ended != s.k || s.k == 0)
			fuzz_fail("UNPACK_OK: %lu of %lu reports ended",
			    s.ended, s.k);
		break;
	case UNPACK_BAD:
		if (why[0] == '\0')
			fuzz_fail("UNPACK_BAD without a reason");
		break;
	case UNPACK_FAULT:
		fuzz_fail("UNPACK_FAULT from an output that never fails");
	}
	return 0;
}
