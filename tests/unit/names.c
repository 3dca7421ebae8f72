/* mailfetch's decisions from headers and config: cmd/mailfetch/names.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "tap.h"

static int
match(const char *hdr)
{
	return subject_matches(hdr, strlen(hdr), default_markers);
}

static int
quoted_is(const char *in, char delim, const char *want)
{
	char	buf[256];

	if (folder_quote(in, delim, buf, sizeof(buf)) == -1)
		return want == NULL;
	if (want == NULL || strcmp(buf, want) != 0) {
		printf("# %s -> %s\n", in, buf);
		return 0;
	}
	return 1;
}

static int
week_is(int y, int m, int d, int wy, int ww)
{
	struct ymd	t = { y, m, d };
	int		iy, w;

	iso_week(&t, &iy, &w);
	if (iy != wy || w != ww)
		printf("# %04d-%02d-%02d -> %d week %d\n", y, m, d, iy, w);
	return iy == wy && w == ww;
}

static int
expand_is(const char *tmpl, int y, int m, int d, const char *want)
{
	struct ymd	t = { y, m, d };
	char		buf[128];

	if (moveto_expand(tmpl, &t, buf, sizeof(buf)) == -1)
		return 0;
	if (strcmp(buf, want) != 0)
		printf("# %s -> %s\n", tmpl, buf);
	return strcmp(buf, want) == 0;
}

static int
date_is(const char *s, int y, int m, int d)
{
	struct ymd	t;

	if (imap_date(s, &t) == -1)
		return y == 0;
	return t.y == y && t.m == m && t.d == d;
}

/* retry_after() over a header value as libcurl hands it: no NUL after */
static long
wait_for(const char *v, time_t now)
{
	char	*b;
	long	 r;
	size_t	 n = strlen(v);

	if ((b = malloc(n > 0 ? n : 1)) == NULL)
		return -2;
	memcpy(b, v, n);
	r = retry_after(b, n, now);
	free(b);
	return r;
}

int
main(void)
{
	const char *const mine[] = { "Rapport DMARC", NULL };
	const char	*h;
	char		 big[9000];

	ok(match("From: a@b\r\nSubject: Report Domain: example.com "
	    "Submitter: google.com\r\n\r\n"), "plain marker");
	ok(match("Subject: [Preview] Report Domain: x\r\n"), "preview");
	ok(match("subject: DMARC aggregate report from x\n"), "any case");
	ok(match("Subject: Report_Domain: x\r\n"), "report_domain");
	ok(match("Subject: [DMARC Report] x\r\n"), "[dmarc report]");
	ok(match("Subject: =?UTF-8?B?UmVwb3J0IERvbWFpbjogZXhhbXBsZS5jb20=?="
	    "\r\n"), "RFC 2047 B");
	ok(match("Subject: =?iso-8859-1?Q?DMARC_Aggregate_Report_f=FCr?= x"
	    "\r\n"), "RFC 2047 Q, Latin-1");
	ok(match("Subject: =?UTF-8?Q?Report?=\r\n =?UTF-8?Q?_Domain?=\r\n"),
	    "encoded words over a fold");
	ok(match("Subject: Report\r\n Domain: example.com\r\n"),
	    "a fold inside the marker");
	ok(!match("Subject: Re: reporting domains\r\n"), "near miss");
	ok(!match("Subject: Lunch on Friday\r\nX-Note: report domain\r\n"),
	    "marker in another header");
	ok(!match("X-Subject: report domain\r\n"), "X-Subject is not Subject");
	ok(!match("From: a@b\r\n"), "no Subject");
	ok(!match(""), "no headers");
	h = "Subject: Rapport DMARC de x\r\n";
	ok(subject_matches(h, strlen(h), mine) && !match(h),
	    "configured markers replace the defaults");
	memset(big, 'x', sizeof(big));
	memcpy(big, "Subject: ", 9);
	memcpy(big + sizeof(big) - 16, "report domain\r\n", 15);
	big[sizeof(big) - 1] = '\n';
	ok(!subject_matches(big, sizeof(big), default_markers),
	    "a marker past 4 KiB of Subject is not looked at");
	h = "Subject: report dom";
	ok(!subject_matches(h, 12, default_markers), "length respected");

	ok(quoted_is("INBOX", '/', "\"INBOX\""), "ASCII");
	ok(quoted_is("DMARC reports", '/', "\"DMARC reports\""), "space");
	ok(quoted_is("a \"q\" \\ b", '/', "\"a \\\"q\\\" \\\\ b\""),
	    "quote and backslash escaped");
	ok(quoted_is("R&D", '/', "\"R&-D\""), "& as &-");
	ok(quoted_is("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", '/',
	    "\"~peter/mail/&U,BTFw-/&ZeVnLIqe-\""), "RFC 3501's example");
	ok(quoted_is("Berichte/Gr\xc3\xb6\xc3\x9f" "e \xe2\x9c\x93", '/',
	    "\"Berichte/Gr&APYA3w-e &JxM-\""), "German and a check mark");
	ok(quoted_is("\xf0\x9f\x98\x80", '/', "\"&2D3eAA-\""),
	    "outside the BMP: a surrogate pair");
	ok(quoted_is("Inbox/done", '.', "\"Inbox.done\""),
	    "'/' as the server's separator");
	ok(quoted_is("a\tb", '/', NULL), "a control character refused");
	ok(quoted_is("a\r\nb", '/', NULL), "CRLF refused");
	ok(quoted_is("\xc3\x28", '/', NULL), "invalid UTF-8 refused");
	ok(quoted_is("\xc2\x85", '/', NULL), "a C1 control refused");

	ok(week_is(2023, 1, 1, 2022, 52), "2023-01-01 is 2022 week 52");
	ok(week_is(2021, 1, 1, 2020, 53), "2021-01-01 is 2020 week 53");
	ok(week_is(2027, 1, 1, 2026, 53), "2027-01-01 is 2026 week 53");
	ok(week_is(2024, 12, 30, 2025, 1), "2024-12-30 is 2025 week 1");
	ok(week_is(2023, 3, 6, 2023, 10), "2023-03-06 is 2023 week 10");
	ok(week_is(2026, 12, 31, 2026, 53), "2026-12-31 is 2026 week 53");
	ok(week_is(2020, 12, 31, 2020, 53), "2020-12-31 is 2020 week 53");
	ok(week_is(2026, 11, 29, 2026, 48), "2026-11-29 is 2026 week 48");

	ok(expand_is("Inbox/done/[YEAR]/week_[WEEK]", 2024, 12, 30,
	    "Inbox/done/2025/week_01"), "week template takes the ISO year");
	ok(expand_is("Inbox/done/[YEAR]/week_[WEEK]", 2021, 1, 1,
	    "Inbox/done/2020/week_53"), "... back across New Year");
	ok(expand_is("[YEAR]/[MONTH]/[DAY]", 2024, 12, 30, "2024/12/30"),
	    "calendar date");
	ok(expand_is("[YEAR]-[MONTH] w[WEEK]", 2021, 1, 1, "2021-01 w53"),
	    "with [MONTH] the year stays the calendar's");
	ok(expand_is("done [year] [WEEK", 2026, 3, 5, "done [year] [WEEK"),
	    "lower case and unclosed are text");

	ok(date_is("29-Nov-2026 04:47:31 +0000", 2026, 11, 29), "UTC");
	ok(date_is("01-Jan-2027 00:30:00 +0100", 2026, 12, 31),
	    "east of UTC, back a day and a year");
	ok(date_is(" 1-Jan-2027 23:30:00 -0100", 2027, 1, 2),
	    "west of UTC, day with a space");
	ok(date_is("29-Feb-2024 12:00:00 +0000", 2024, 2, 29), "leap day");
	ok(date_is("32-Jan-2027 00:00:00 +0000", 0, 0, 0), "day 32 refused");
	ok(date_is("01-Foo-2027 00:00:00 +0000", 0, 0, 0), "month refused");
	ok(date_is("01-Jan-2027 00:00:00 +0000x", 0, 0, 0), "junk refused");
	ok(date_is("", 0, 0, 0), "empty refused");
	ok(wait_for(" 120\r\n", 0) == 120, "Retry-After: 120");
	ok(wait_for(" Wed, 21 Oct 2015 07:28:00 GMT\r\n", 1445412470) == 10,
	    "Retry-After: an HTTP-date, 10 s on");
	ok(wait_for(" Wed, 21 Oct 2015 07:28:00 GMT\r\n", 1445412490) == 0,
	    "... one past: 0");
	ok(wait_for(" soon\r\n", 0) == -1 && wait_for(" -5\r\n", 0) == -1 &&
	    wait_for("\r\n", 0) == -1, "neither: -1");
	/* the fuzzer's find: a value longer than the copy of it */
	memset(big, ' ', sizeof(big) - 3);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	ok(wait_for(big, 0) == -1, "a value of %zu bytes: -1", strlen(big));
	memset(big, '\n', sizeof(big) - 1);
	ok(wait_for(big, 0) == -1, "%zu line ends: -1", strlen(big));
	return tap_done();
}
