/* num_parse() and limits_set(): every rejection path. */
#include <string.h>

#include "limits.h"
#include "num.h"
#include "tap.h"

int
main(void)
{
	struct limits	 l;
	const char	*why = NULL;
	long long	 v = 0;

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

	limits_default(&l);
	ok(l.xml_depth == 32 && l.xml_text == 65536, "defaults of DESIGN.md");
	ok(limits_set(&l, "xml_depth=10", &why) == 0 && l.xml_depth == 10,
	    "xml_depth=10 set");
	ok(limits_set(&l, "xml_text=1", &why) == 0 && l.xml_text == 1,
	    "xml_text=1 set");
	ok(limits_set(&l, "xml_depth=1", &why) == -1, "xml_depth=1 refused");
	ok(limits_set(&l, "nosuch=1", &why) == -1 &&
	    strcmp(why, "unknown limit") == 0, "unknown limit refused");
	ok(limits_set(&l, "xml_depth", &why) == -1, "missing = refused");
	return tap_done();
}
