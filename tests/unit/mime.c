/*
 * mime_walk(): every message here is written out by hand.  Each is
 * copied into a buffer of its exact size first, so that valgrind sees a
 * read past its end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"
#include "tap.h"

#define SEEN_MAX	8
#define KEPT_MAX	512

struct seen {
	int		 n;
	int		 stop_after;	/* stop at this part; 0: never */
	unsigned	 sum;		/* of every byte seen */
	struct {
		char		 type[64];
		char		 name[256];
		int		 has_name;
		int		 depth;
		unsigned	 index;
		size_t		 len;
		unsigned char	 body[KEPT_MAX];
	} p[SEEN_MAX];
};

static int
record(void *arg, const struct mime_part *mp)
{
	struct seen	*s = arg;
	size_t		 i;

	for (i = 0; i < mp->len; i++)	/* every byte must be readable */
		s->sum += mp->body[i];
	if (s->n < SEEN_MAX) {
		(void)snprintf(s->p[s->n].type, sizeof(s->p[s->n].type), "%s",
		    mp->type);
		s->p[s->n].has_name = mp->filename != NULL;
		(void)snprintf(s->p[s->n].name, sizeof(s->p[s->n].name), "%s",
		    mp->filename != NULL ? mp->filename : "");
		s->p[s->n].depth = mp->depth;
		s->p[s->n].index = mp->index;
		s->p[s->n].len = mp->len;
		memcpy(s->p[s->n].body, mp->body,
		    mp->len < KEPT_MAX ? mp->len : KEPT_MAX);
	}
	s->n++;
	return s->stop_after > 0 && s->n >= s->stop_after ? -1 : 0;
}

static char	why[256];

/* Walk the n bytes at msg with the given limits; fills *s. */
static int
walk_n(const char *msg, size_t n, long long depth, long long parts,
    struct seen *s)
{
	struct mime_limits	 lim = { depth, parts };
	unsigned char		*copy;
	int			 rc, stop = s->stop_after;

	memset(s, 0, sizeof(*s));
	s->stop_after = stop;
	if ((copy = malloc(n > 0 ? n : 1)) == NULL) {
		perror("malloc");
		exit(1);
	}
	memcpy(copy, msg, n);
	rc = mime_walk(copy, n, &lim, record, s, why, sizeof(why));
	free(copy);
	return rc;
}

static int
walk(const char *msg, struct seen *s)
{
	return walk_n(msg, strlen(msg), 8, 256, s);
}

/* Part i has this type, name (NULL: none), depth and body. */
static int
part_is(const struct seen *s, int i, const char *type, const char *name,
    int depth, const char *body, size_t len)
{
	if (i >= s->n || i >= SEEN_MAX)
		return 0;
	if (strcmp(s->p[i].type, type) != 0 || s->p[i].depth != depth ||
	    s->p[i].index != (unsigned)i + 1)
		return 0;
	if (name == NULL ? s->p[i].has_name :
	    !s->p[i].has_name || strcmp(s->p[i].name, name) != 0)
		return 0;
	if (body != NULL && (s->p[i].len != len ||
	    memcmp(s->p[i].body, body, len) != 0))
		return 0;
	return 1;
}

/* The file name of the only part of a message with these headers. */
static const char *
name_of(const char *headers)
{
	static struct seen	s;
	char			msg[2048];

	(void)snprintf(msg, sizeof(msg), "%s\r\nbody\r\n", headers);
	if (walk(msg, &s) != 0 || s.n != 1)
		return "(walk failed)";
	return s.p[0].has_name ? s.p[0].name : "(none)";
}

static void
test_single(void)
{
	struct seen	s = { 0 };

	ok(walk("From: a@example.com\r\nSubject: hi\r\n\r\nhello\r\n",
	    &s) == 0 && s.n == 1 &&
	    part_is(&s, 0, "text/plain", NULL, 0, "hello\r\n", 7),
	    "single part, CRLF");
	ok(walk("From: a@example.com\nSubject: hi\n\nhello\n", &s) == 0 &&
	    s.n == 1 && part_is(&s, 0, "text/plain", NULL, 0, "hello\n", 6),
	    "single part, LF");
	ok(walk("From: a\r\nContent-Type: text/plain\r\n", &s) == 0 &&
	    s.n == 1 && part_is(&s, 0, "text/plain", NULL, 0, "", 0),
	    "no empty line: all headers, empty body");
	ok(walk("\r\nContent-Type: application/zip\r\n", &s) == 0 &&
	    part_is(&s, 0, "text/plain", NULL, 0,
	    "Content-Type: application/zip\r\n", 31),
	    "empty line first: no headers");
	ok(walk("", &s) == 0 && s.n == 1 &&
	    part_is(&s, 0, "text/plain", NULL, 0, "", 0), "empty message");
	ok(walk("cOnTeNt-TyPe : Application/GZIP ; x=y\r\n\r\nz", &s) == 0 &&
	    part_is(&s, 0, "application/gzip", NULL, 0, "z", 1),
	    "header names and types are case-insensitive");
	ok(walk("Content-Type: (a comment) text / html (another)\r\n\r\n",
	    &s) == 0 && part_is(&s, 0, "text/html", NULL, 0, "", 0),
	    "comments and white space in the type");
	ok(walk("Content-Type: text\r\n\r\n", &s) == 0 &&
	    part_is(&s, 0, "text/plain", NULL, 0, "", 0),
	    "a type without subtype is text/plain");
	ok(walk("Content-Type: application/zip\r\n"
	    "Content-Type: text/html\r\n\r\n", &s) == 0 &&
	    part_is(&s, 0, "application/zip", NULL, 0, "", 0),
	    "the first Content-Type counts");
	ok(walk("this line has no colon\r\nContent-Type:\r\n application/\r\n"
	    "\tzip\r\n\r\n", &s) == 0 &&
	    part_is(&s, 0, "application/zip", NULL, 0, "", 0),
	    "folded Content-Type; a line without ':' ignored");
}

static const unsigned char gz[] = {
	0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xb3,
	0x49, 0x4b, 0x4d, 0x4d, 0x49, 0x4a, 0x4c, 0xce, 0xb6, 0xb3, 0xd1,
	0x87, 0x33, 0xb9, 0x00, 0xc3, 0x30, 0x42, 0x1d, 0x16, 0x00, 0x00,
	0x00,
};

static const char mixed[] =
    "From: dmarc@example.net\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed;\r\n"
    "\tboundary=\"----=_Part_1\"\r\n"
    "\r\n"
    "This is a multi-part message in MIME format.\r\n"
    "------=_Part_1x\r\n"
    "\r\n"
    "------=_Part_1\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n"
    "\r\n"
    "A report.\r\n"
    "------=_Part_1 \t\r\n"
    "Content-Type: application/gzip; name=\"ignored.gz\"\r\n"
    "Content-Disposition: attachment;\r\n"
    " filename=\"example.com!example.net!1!2.xml.gz\"\r\n"
    "Content-Transfer-Encoding: BASE64\r\n"
    "\r\n"
    "H4sIAAAAAAACA7NJS01N\r\n"
    "SUpMzraz0YczuQDDMEId\r\n"
    "FgAAAA==\r\n"
    "------=_Part_1--\r\n"
    "epilogue\r\n"
    "------=_Part_1\r\n"
    "not a part\r\n";

static void
test_multipart(void)
{
	struct seen	s = { 0 };
	char		msg[1024];

	ok(walk(mixed, &s) == 0 && s.n == 2, "multipart/mixed: 2 parts");
	ok(part_is(&s, 0, "text/plain", NULL, 1, "A report.", 9),
	    "text part, preamble skipped, CRLF before boundary dropped");
	ok(part_is(&s, 1, "application/gzip",
	    "example.com!example.net!1!2.xml.gz", 1, (const char *)gz,
	    sizeof(gz)), "gzip part decoded exactly, epilogue ignored");

	ok(walk("Content-Type: multipart/mixed; boundary=b\n\n"
	    "--b\n\nfirst\n--b\nContent-Type: multipart/alternative;"
	    " boundary=\"b2\"\n\n--b2\n\nplain\n--b2\n"
	    "Content-Type: text/html\n\n<p>html</p>\n--b2--\n"
	    "--b\nContent-Type: application/zip\n\nPK\n--b--\n", &s) == 0 &&
	    s.n == 4 && part_is(&s, 0, "text/plain", NULL, 1, "first", 5) &&
	    part_is(&s, 1, "text/plain", NULL, 2, "plain", 5) &&
	    part_is(&s, 2, "text/html", NULL, 2, "<p>html</p>", 11) &&
	    part_is(&s, 3, "application/zip", NULL, 1, "PK", 2),
	    "multipart/alternative nested in multipart/mixed (LF)");

	ok(walk("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\none\r\n--b\r\n\r\nlast\r\n", &s) == 0 && s.n == 2 &&
	    part_is(&s, 0, "text/plain", NULL, 1, "one", 3) &&
	    part_is(&s, 1, "text/plain", NULL, 1, "last\r\n", 6),
	    "missing closing boundary: the last part runs to the end");
	ok(walk("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\n--b\r\n\r\n\r\n--b--", &s) == 0 && s.n == 2 &&
	    part_is(&s, 0, "text/plain", NULL, 1, "", 0) &&
	    part_is(&s, 1, "text/plain", NULL, 1, "", 0),
	    "empty parts");
	ok(walk("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "no delimiter at all\r\n", &s) == 0 && s.n == 0,
	    "multipart without any delimiter: no parts");
	ok(walk("Content-Type: multipart/digest; boundary=d\r\n\r\n"
	    "--d\r\n\r\nContent-Type: application/zip\r\n\r\nPK\r\n--d--\r\n",
	    &s) == 0 && s.n == 1 &&
	    part_is(&s, 0, "application/zip", NULL, 2, "PK", 2),
	    "multipart/digest parts default to message/rfc822");
	ok(walk("Content-Type: multipart/mixed; boundary=b\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n"
	    "--b\r\n\r\nx\r\n--b--\r\n", &s) == 0 && s.n == 1 &&
	    part_is(&s, 0, "text/plain", NULL, 1, "x", 1),
	    "a transfer encoding on a multipart is ignored");

	ok(walk("Content-Type: multipart/mixed\r\n\r\n--b\r\n\r\nx\r\n",
	    &s) == -1 && strcmp(why, "multipart/mixed without a boundary") ==
	    0, "multipart without boundary refused: %s", why);
	ok(walk("Content-Type: multipart/related; boundary=\"\"\r\n\r\n",
	    &s) == -1 && strcmp(why, "multipart/related without a boundary") ==
	    0, "empty boundary refused");

	(void)snprintf(msg, sizeof(msg), "Content-Type: multipart/mixed;"
	    " boundary=%0200d\r\n\r\n--%0200d\r\n\r\nx\r\n", 0, 0);
	ok(walk(msg, &s) == 0 && s.n == 1 &&
	    part_is(&s, 0, "text/plain", NULL, 1, "x\r\n", 3),
	    "a boundary of 200 bytes");
	(void)snprintf(msg, sizeof(msg), "Content-Type: multipart/mixed;"
	    " boundary=%0201d\r\n\r\n--%0201d\r\n\r\nx\r\n", 0, 0);
	ok(walk(msg, &s) == -1 && strcmp(why, "multipart/mixed boundary "
	    "longer than 200 bytes") == 0, "one of 201 refused: %s", why);
}

static const char google[] =
    "From: noreply-dmarc-support@google.com\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "--outer\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "forwarded report\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: noreply@google.com\r\n"
    "Content-Type: multipart/mixed; boundary=in\r\n"
    "\r\n"
    "--in\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "see attached\r\n"
    "--in\r\n"
    "Content-Type: application/zip; name=g.zip\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "UEsDBA==\r\n"
    "--in--\r\n"
    "--outer--\r\n";

static const char embedded_b64[] =
    "Content-Type: message/rfc822\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "RnJvbTogbm9yZXBseUBnb29nbGUuY29tDQpDb250ZW50LVR5cGU6IG11bHRp\r\n"
    "cGFydC9taXhlZDsgYm91bmRhcnk9aW4NCg0KLS1pbg0KQ29udGVudC1UeXBl\r\n"
    "OiB0ZXh0L3BsYWluDQoNCnNlZSBhdHRhY2hlZA0KLS1pbg0KQ29udGVudC1U\r\n"
    "eXBlOiBhcHBsaWNhdGlvbi96aXA7IG5hbWU9Zy56aXANCkNvbnRlbnQtVHJh\r\n"
    "bnNmZXItRW5jb2Rpbmc6IGJhc2U2NA0KDQpVRXNEQkE9PQ0KLS1pbi0tDQo=\r\n";

static void
test_embedded(void)
{
	struct seen	s = { 0 };

	ok(walk(google, &s) == 0 && s.n == 3 &&
	    part_is(&s, 0, "text/plain", NULL, 1, "forwarded report", 16) &&
	    part_is(&s, 1, "text/plain", NULL, 3, "see attached", 12) &&
	    part_is(&s, 2, "application/zip", "g.zip", 3, "PK\3\4", 4),
	    "message/rfc822 wrapping a multipart");
	ok(walk(embedded_b64, &s) == 0 && s.n == 2 &&
	    part_is(&s, 0, "text/plain", NULL, 2, "see attached", 12) &&
	    part_is(&s, 1, "application/zip", "g.zip", 2, "PK\3\4", 4),
	    "base64 message/rfc822 decoded, then walked");
}

static void
test_encodings(void)
{
	struct seen	s = { 0 };

	ok(walk("Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "caf=C3=a9 soft=\r\nbreak, lf=\nbreak, =3D=3d =ZZ =\r\n"
	    "=4\r\nend=", &s) == 0 &&
	    part_is(&s, 0, "text/plain", NULL, 0,
	    "caf\xc3\xa9 softbreak, lfbreak, == =ZZ =4\r\nend", 40),
	    "quoted-printable body");
	ok(walk("Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "trailing = \t\r\nspace", &s) == 0 &&
	    part_is(&s, 0, "text/plain", NULL, 0, "trailing space", 14),
	    "quoted-printable soft break after white space");
	ok(walk("Content-Transfer-Encoding: base64\r\n\r\n"
	    "YW Jj\r\n!Z*A", &s) == 0 &&
	    part_is(&s, 0, "text/plain", NULL, 0, "abcd", 4),
	    "base64: junk skipped, missing padding tolerated");
	ok(walk("Content-Transfer-Encoding: base64\r\n\r\n"
	    "YWJjZA==YWJj", &s) == 0 &&
	    part_is(&s, 0, "text/plain", NULL, 0, "abcd", 4),
	    "base64: '=' ends the data");
	ok(walk("Content-Transfer-Encoding: x-unknown\r\n\r\n=41", &s) == 0 &&
	    part_is(&s, 0, "text/plain", NULL, 0, "=41", 3),
	    "unknown encoding: as is");
}

static void
test_names(void)
{
	char	 hdr[1024], want[256];
	int	 n;

	ok(strcmp(name_of("Content-Type: application/zip;"
	    " name=\"=?utf-8?B?4oKsIHJlcG9ydC56aXA=?=\""),
	    "\xe2\x82\xac report.zip") == 0, "RFC 2047 B word");
	ok(strcmp(name_of("Content-Disposition: attachment;"
	    " filename=\"=?iso-8859-1?Q?r=E9sum=E9_2024.zip?=\""),
	    "r\xc3\xa9sum\xc3\xa9 2024.zip") == 0, "RFC 2047 Q word, latin1");
	ok(strcmp(name_of("Content-Disposition: attachment;\r\n"
	    " filename=\"=?UTF-8?b?csOpcA==?= \r\n =?utf-8?B?b3J0LnppcA==?=\""),
	    "r\xc3\xa9port.zip") == 0,
	    "adjacent words joined without the white space");
	ok(strcmp(name_of("Content-Type: a/b; name="
	    "\"=?utf-8?q?a?= b =?utf-8?q?c?=.zip\""), "a b c.zip") == 0,
	    "white space next to plain text kept");
	ok(strcmp(name_of("Content-Type: a/b; name=\"=?windows-1252?Q?=80?="
	    "=?koi8-r?Q?=F0=D2x.zip?=\""), "\xe2\x82\xac??x.zip") == 0,
	    "windows-1252 converted, other charsets '?'");
	ok(strcmp(name_of("Content-Type: a/b; name=\"=?utf-8?x?abc?= y\""),
	    "=?utf-8?x?abc?= y") == 0, "not an encoded word: as is");

	ok(strcmp(name_of("Content-Disposition: attachment;"
	    " filename*=utf-8''%e2%82%ac.zip"), "\xe2\x82\xac.zip") == 0,
	    "RFC 2231 filename*=");
	ok(strcmp(name_of("Content-Disposition: attachment;"
	    " filename*=iso-8859-1'fr'r%E9%ZZ.zip"), "r\xc3\xa9%ZZ.zip") == 0,
	    "RFC 2231 with a language, invalid '%%' kept");
	ok(strcmp(name_of("Content-Disposition: attachment;\r\n"
	    " filename*0*=UTF-8''r%C3%A9;\r\n filename*1*=port;"
	    " filename*2=\".xml.gz\""), "r\xc3\xa9port.xml.gz") == 0,
	    "RFC 2231 *0* *1* *2 continuations");
	ok(strcmp(name_of("Content-Disposition: attachment;"
	    " filename*1=\"name.zip\"; filename*0=\"long\""),
	    "longname.zip") == 0, "*0 *1 continuations joined in order");
	ok(strcmp(name_of("Content-Disposition: attachment;"
	    " filename*0=\"a\"; filename*2=\"c\""), "a") == 0,
	    "continuations stop at a gap");
	ok(strcmp(name_of("Content-Disposition: attachment;"
	    " filename=\"plain.zip\"; filename*=utf-8''ext.zip"),
	    "ext.zip") == 0, "filename*= over filename=");

	ok(strcmp(name_of("Content-Disposition: attachment;\r\n"
	    " filename=\"report.xml.\r\n zip\""), "report.xml.zip") == 0,
	    "fold inside a quoted name dropped");
	ok(strcmp(name_of("Content-Disposition: attachment;"
	    " filename=\"../../x.zip\""), "x.zip") == 0,
	    "../../x.zip shown as x.zip");
	ok(strcmp(name_of("Content-Disposition: attachment;"
	    " filename=\"C:\\\\tmp\\\\y.zip\""), "y.zip") == 0,
	    "backslash directories stripped");
	ok(strcmp(name_of("Content-Type: application/zip; name=z.zip"
	    " (a comment)"), "z.zip") == 0,
	    "Content-Type name without Content-Disposition");
	ok(strcmp(name_of("Content-Type: application/zip; name=ct.zip\r\n"
	    "Content-Disposition: attachment; FILENAME=\"cd (1).zip\""),
	    "cd (1).zip") == 0, "Content-Disposition filename first");
	ok(strcmp(name_of("Content-Type: application/zip; name=ct.zip\r\n"
	    "Content-Disposition: attachment; filename=\"\""), "ct.zip") == 0,
	    "empty filename falls back to name");
	ok(strcmp(name_of("Content-Disposition: attachment;"
	    " filename*=utf-8''a%01b%7f%c2%9bc%e2%80%aed.zip"),
	    "a_b__c_d.zip") == 0, "control characters as '_'");
	ok(strcmp(name_of("Content-Disposition: attachment;"
	    " filename*=utf-8''%ff%c3.zip"), "??.zip") == 0,
	    "invalid UTF-8 as '?'");
	ok(strcmp(name_of("Content-Disposition: attachment;"
	    " filename=\"dir/\""), "(none)") == 0, "empty name: NULL");
	ok(strcmp(name_of("Content-Disposition: attachment;"
	    " filename=\"a\\\"b\"; x=\"y;z\"; junk; filename=no"),
	    "a\"b") == 0, "quoted-pair, ';' in quotes, junk");

	n = snprintf(hdr, sizeof(hdr), "Content-Type: a/b; name=\"%0199d"
	    "\xc3\xa9\"", 0);
	(void)snprintf(want, sizeof(want), "%0199d", 0);
	ok(n > 0 && strcmp(name_of(hdr), want) == 0,
	    "name cut at 200 bytes, on a character boundary");
	n = snprintf(hdr, sizeof(hdr), "Content-Type: a/b; name=%0300d", 0);
	(void)snprintf(want, sizeof(want), "%0200d", 0);
	ok(n > 0 && strcmp(name_of(hdr), want) == 0, "long name cut at 200");
}

/* A message nested `levels` multiparts deep, with one leaf at the end. */
static void
nested(char *buf, size_t size, int levels)
{
	size_t	n = 0;
	int	i;

	for (i = 0; i < levels; i++)
		n += (size_t)snprintf(buf + n, size - n,
		    "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n"
		    "--b%d\r\n", i, i);
	(void)snprintf(buf + n, size - n, "\r\nleaf\r\n");
}

static void
test_limits(void)
{
	struct seen	 s = { 0 };
	char		 buf[1024];
	const char	*three = "Content-Type: multipart/mixed; boundary=b\r\n"
	    "\r\n--b\r\n\r\n1\r\n--b\r\n\r\n2\r\n--b\r\n\r\n3\r\n--b--\r\n";

	nested(buf, sizeof(buf), 2);
	ok(walk_n(buf, strlen(buf), 2, 256, &s) == 0 && s.n == 1 &&
	    part_is(&s, 0, "text/plain", NULL, 2, "leaf\r\n", 6),
	    "depth 2 at mime_depth 2");
	nested(buf, sizeof(buf), 3);
	ok(walk_n(buf, strlen(buf), 2, 256, &s) == -1 && s.n == 0 &&
	    strcmp(why, "MIME parts nested deeper than 2 (mime_depth limit)")
	    == 0, "depth 3 at mime_depth 2 refused: %s", why);
	ok(walk_n(google, strlen(google), 2, 256, &s) == -1 &&
	    strcmp(why, "MIME parts nested deeper than 2 (mime_depth limit)")
	    == 0, "message/rfc822 counts as a level");
	ok(walk_n(google, strlen(google), 3, 256, &s) == 0 && s.n == 3,
	    "the same at mime_depth 3");

	ok(walk_n(three, strlen(three), 8, 4, &s) == 0 && s.n == 3,
	    "4 parts (3 leaves and their multipart) at mime_parts 4");
	ok(walk_n(three, strlen(three), 8, 3, &s) == -1 && s.n == 2 &&
	    strcmp(why, "more than 3 MIME parts (mime_parts limit)") == 0,
	    "4 parts at mime_parts 3 refused: %s", why);

	s.stop_after = 2;
	ok(walk_n(three, strlen(three), 8, 256, &s) == -1 && s.n == 2 &&
	    why[0] == '\0', "callback returning -1 stops the walk");
	s.stop_after = 0;
}

/* A small, repeatable generator. */
static unsigned long	rnd_state = 1;

static unsigned
rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(rnd_state >> 33) % n;
}

/* Messages made of pieces that matter to the parser, and random bytes. */
static void
test_garbage(void)
{
	static const char *const pieces[] = {
		"Content-Type: multipart/mixed; boundary=b\r\n",
		"Content-Type: multipart/mixed; boundary=\"b\"\n",
		"Content-Type: message/rfc822\r\n",
		"Content-Transfer-Encoding: base64\r\n",
		"Content-Transfer-Encoding: quoted-printable\r\n",
		"Content-Disposition: attachment; filename*0*=utf-8''%e2",
		"; filename*1*=%82", "; name=\"=?utf-8?B?4oKs", "?=", "=?",
		"=?x?q?=", "\r\n", "\n", "\r\n ", "--b\r\n", "--b--\r\n", "--b",
		"=", "\"", "(", ")", "\\", " ", "\t", ";", "%", "'", "*", "\0",
	};
	const char	*whole[] = { google, mixed, embedded_b64 };
	struct seen	 s = { 0 };
	char		 buf[8192];	/* 80 pieces of at most 56 bytes */
	size_t		 n, k;
	int		 i, j, bad = 0, len;

	for (i = 0; i < 3000; i++) {
		n = 0;
		len = (int)rnd(80);
		for (j = 0; j < len; j++) {
			if (rnd(4) == 0) {
				buf[n++] = (char)rnd(256);
				continue;
			}
			k = rnd(sizeof(pieces) / sizeof(pieces[0]));
			memcpy(buf + n, pieces[k], strlen(pieces[k]) + 1);
			n += strlen(pieces[k]) + (pieces[k][0] == '\0');
		}
		if (walk_n(buf, n, 8, 256, &s) != 0 && why[0] == '\0')
			bad++;
	}
	ok(bad == 0, "3000 generated messages: no crash, every -1 explained");

	for (n = 0; n < sizeof(buf); n++)
		buf[n] = (char)rnd(256);
	ok(walk_n(buf, sizeof(buf), 8, 256, &s) == 0 && s.n == 1,
	    "random bytes: one part, no crash");

	for (bad = 0, i = 0; i < 3; i++)
		for (n = 0; n <= strlen(whole[i]); n++)
			if (walk_n(whole[i], n, 8, 256, &s) != 0 &&
			    why[0] == '\0')
				bad++;
	ok(bad == 0, "every truncation of three messages walked");
}

int
main(void)
{
	test_single();
	test_multipart();
	test_embedded();
	test_encodings();
	test_names();
	test_limits();
	test_garbage();
	return tap_done();
}
