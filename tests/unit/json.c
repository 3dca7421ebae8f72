/* mailfetch's JSON reader: cmd/mailfetch/json.c. */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "tap.h"

static char	why[200];

static int
parses(const char *s)
{
	struct json	j;
	int		rc = json_parse(&j, s, strlen(s), why, sizeof(why));

	json_free(&j);
	return rc == 0;
}

int
main(void)
{
	struct json		 j;
	const struct json_node	*r, *v, *m;
	const char		*s;
	char			 deep[200];
	int			 n;

	s = "{\"@odata.nextLink\":\"https://h/v1.0/x?$skip=10\",\"value\":"
	    "[{\"id\":\"AAMk=\",\"subject\":\"Report Domain: \\u00e9x\","
	    "\"isRead\":false,\"n\":-12.5e3},{\"id\":\"b\\/c\",\"subject\":"
	    "\"\\ud83d\\ude00 \\\"q\\\"\\n\",\"isRead\":true},{}],\"e\":[],"
	    "\"z\":null}";
	ok(json_parse(&j, s, strlen(s), why, sizeof(why)) == 0,
	    "a Graph page: %s", why);
	r = json_root(&j);
	ok(r != NULL && r->type == JSON_OBJECT, "an object at the root");
	ok((s = json_str(&j, r, "@odata.nextLink")) &&
	    strcmp(s, "https://h/v1.0/x?$skip=10") == 0, "a string member");
	v = json_get(&j, r, "value");
	ok(v != NULL && v->type == JSON_ARRAY, "an array member");
	m = json_first(&j, v);
	ok(m && (s = json_str(&j, m, "subject")) &&
	    strcmp(s, "Report Domain: \xc3\xa9x") == 0, "\\u00e9 as UTF-8");
	ok(json_get(&j, m, "isRead")->type == JSON_FALSE, "false");
	ok((v = json_get(&j, m, "n")) && v->type == JSON_NUMBER &&
	    v->len == 7 && strncmp(v->s, "-12.5e3", 7) == 0, "a number's text");
	m = json_next(&j, m);
	ok(m && strcmp(json_str(&j, m, "id"), "b/c") == 0, "\\/");
	ok(strcmp(json_str(&j, m, "subject"),
	    "\xf0\x9f\x98\x80 \"q\"\n") == 0, "a surrogate pair, quotes, \\n");
	ok(json_get(&j, m, "isRead")->type == JSON_TRUE, "true");
	m = json_next(&j, m);
	ok(m && m->type == JSON_OBJECT && json_first(&j, m) == NULL &&
	    json_next(&j, m) == NULL, "{} and the end of the array");
	ok(json_first(&j, json_get(&j, r, "e")) == NULL, "[]");
	ok(json_get(&j, r, "z")->type == JSON_NULL, "null");
	ok(json_get(&j, r, "nonesuch") == NULL &&
	    json_str(&j, r, "value") == NULL, "absent, or not a string");
	json_free(&j);

	ok(json_parse(&j, "\"a\\u0000b\"", 10, why, sizeof(why)) == 0 &&
	    json_root(&j)->len == 3, "\\u0000 kept, counted");
	json_free(&j);
	ok(parses(" [1, 0, -0.5, 2E+3] "), "numbers, white space");
	ok(!parses("{\"a\":1,}") && strstr(why, "byte 7") != NULL,
	    "a trailing comma, with its offset: %s", why);
	ok(!parses("[1 2]"), "no comma");
	ok(!parses("{\"a\" 1}"), "no colon");
	ok(!parses("{1:2}"), "a name that is no string");
	ok(!parses("\"abc"), "a string without its end");
	ok(!parses("\"a\tb\""), "a raw control character");
	ok(!parses("\"\\x\""), "a bad escape");
	ok(!parses("\"\\ud83d\""), "half a surrogate pair");
	ok(!parses("\"\\ude00\""), "the other half alone");
	ok(!parses("01"), "a leading zero");
	ok(!parses("1."), "a bare point");
	ok(!parses("tru"), "a cut word");
	ok(!parses("{} {}"), "two values");
	ok(!parses(""), "nothing");
	/* a Graph answer with no body has no buffer at all (UBSan) */
	ok(json_parse(&j, NULL, 0, why, sizeof(why)) == -1 &&
	    strstr(why, "byte 0") != NULL, "no body: %s", why);
	json_free(&j);
	for (n = 0; n < 64; n++)
		deep[n] = '[';
	for (; n < 128; n++)
		deep[n] = ']';
	deep[n] = '\0';
	ok(parses(deep), "64 deep");
	memmove(deep + 1, deep, 129);
	deep[0] = '[';
	deep[129] = ']';
	deep[130] = '\0';
	ok(!parses(deep) && strstr(why, "too deep") != NULL, "65 deep refused");
	return tap_done();
}
