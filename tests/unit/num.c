/* num_parse() and limits_set(): every rejection path. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "limit.h"
#include "num.h"
#include "tap.h"

int
main(void)
{
	struct limits	 l;
	const char	*why = NULL;
	long long	 v = 0;
	char		 buf[NUM_ULONG_MAX], want[32];
	size_t		 n;

	ok(num_parse("42", 0, 100, &v, &why) == 0 && v == 42, "42 in 0..100");
	ok(num_parse("100", 0, 100, &v, &why) == 0 && v == 100, "max itself");
	ok(num_parse("101", 0, 100, &v, &why) == -1 &&
	    strcmp(why, "number too large") == 0, "max+1 refused");
	ok(num_parse("-1", 0, 100, &v, &why) == -1 &&
	    strcmp(why, "number too small") == 0, "min-1 refused");
	ok(num_parse("", 0, 100, &v, &why) == -1, "empty refused");
	ok(num_parse("12x", 0, 100, &v, &why) == -1 &&
	    strcmp(why, "not a number") == 0, "trailing junk refused");
	ok(num_parse("99999999999999999999", 0, 100, &v, &why) == -1,
	    "overflow refused");

	n = num_format(buf, 0);
	ok(n == 1 && memcmp(buf, "0", 1) == 0, "0 formatted");
	n = num_format(buf, 1234567890UL);
	ok(n == 10 && memcmp(buf, "1234567890", 10) == 0, "10 digits formatted");
	n = num_format(buf, ULONG_MAX);
	(void)snprintf(want, sizeof(want), "%lu", ULONG_MAX);
	ok(n == strlen(want) && n <= NUM_ULONG_MAX &&
	    memcmp(buf, want, n) == 0, "ULONG_MAX formatted");

	limits_default(&l);
	ok(l.xml_depth == 32 && l.xml_text == 65536, "defaults of DESIGN.md");
	ok(limits_set(&l, "xml_depth=10", &why) == 0 && l.xml_depth == 10,
	    "xml_depth=10 set");
	ok(limits_set(&l, "xml_text=1", &why) == 0 && l.xml_text == 1,
	    "xml_text=1 set");
	ok(limits_set(&l, "xml_depth=1", &why) == -1, "xml_depth=1 refused");
	ok(l.xml_attributes == 64, "xml_attributes: 64 by default");
	ok(l.event_ratio == 50, "event_ratio: 50 by default");
	ok(limits_set(&l, "xml_attributes=100000", &why) == 0 &&
	    l.xml_attributes == 100000 &&
	    limits_set(&l, "xml_attributes=100001", &why) == -1 &&
	    limits_set(&l, "xml_attributes=0", &why) == -1,
	    "xml_attributes: 1 to 100000");
	ok(limits_set(&l, "nosuch=1", &why) == -1 &&
	    strcmp(why, "unknown limit") == 0, "unknown limit refused");
	ok(limits_set(&l, "xml_depth", &why) == -1, "missing = refused");
	return tap_done();
}
