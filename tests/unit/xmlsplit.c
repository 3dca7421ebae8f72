/*
 * The document gate: where documents end, what it skips and what it
 * refuses, fed whole and one byte at a time.
 */
#include <string.h>

#include "tap.h"
#include "xmlsplit.h"

/*
 * Split `in` into documents as a reader would: `chunk` more bytes arrive
 * whenever the lexer can make no progress with what it has.  Documents
 * are written separated by '|' into out.  Returns the last status.
 */
static enum xs_status
split(const char *in, size_t len, size_t chunk, char *out, size_t outlen,
    size_t *outn)
{
	struct xmlsplit	 xs;
	enum xs_status	 st;
	size_t		 off = 0, end, o = 0, skip, take;

	xs_init(&xs);
	end = chunk < len ? chunk : len;
	for (;;) {
		st = xs_scan(&xs, (const unsigned char *)in + off, end - off,
		    end == len, &skip, &take);
		if (st == XS_ERROR || st == XS_EMPTY)
			break;
		off += skip;
		if (o + take + 2 > outlen)
			return XS_ERROR;
		memcpy(out + o, in + off, take);
		o += take;
		off += take;
		if (st == XS_END) {
			out[o++] = '|';
			if (off == len)
				break;
			xs_init(&xs);
		} else if (skip + take == 0 || off == end) {
			if (end == len)
				break;
			end = len - end > chunk ? end + chunk : len;
		}
	}
	out[o] = '\0';
	*outn = o;
	return st;
}

static void
both(const char *name, const char *in, size_t len, const char *want,
    size_t wantlen, enum xs_status want_st)
{
	char		out[1024];
	enum xs_status	st;
	size_t		n;

	st = split(in, len, 1 << 20, out, sizeof(out), &n);
	ok(st == want_st && n == wantlen && memcmp(out, want, n) == 0,
	    "%s (whole)", name);
	st = split(in, len, 1, out, sizeof(out), &n);
	if (want_st == XS_ERROR)
		/* bytes before the refusal may have gone out, never the DTD */
		ok(st == XS_ERROR && n >= wantlen &&
		    memcmp(out, want, wantlen) == 0 &&
		    strstr(out, "DOCTYPE") == NULL, "%s (bytewise)", name);
	else
		ok(st == want_st && n == wantlen &&
		    memcmp(out, want, n) == 0, "%s (bytewise)", name);
}

#define S(x)	x, sizeof(x) - 1

int
main(void)
{
	struct xmlsplit	 xs;
	size_t		 skip, take;
	unsigned long	 lines = 0;
	static const char utf16[] = "\xff\xfe<\0a\0>\0<\0/\0a\0>\0";
	static const char utf16_out[] = "\xff\xfe<\0a\0>\0<\0/\0a\0>\0|";
	/* two documents, each ending in a newline */
	static const char utf16nl[] = "\xff\xfe<\0a\0/\0>\0\n\0"
	    "\xff\xfe<\0b\0/\0>\0\r\0\n\0";
	static const char utf16nl_out[] = "\xff\xfe<\0a\0/\0>\0\n\0|"
	    "\xff\xfe<\0b\0/\0>\0\r\0\n\0|";

	both("one document", S("<a><b>x</b></a>"), S("<a><b>x</b></a>|"),
	    XS_END);
	both("two concatenated", S("<?xml version=\"1.0\"?>\n<a/>\n\n<?xml "
	    "version=\"1.0\"?><b>y</b>"), S("<?xml version=\"1.0\"?>\n<a/>\n\n|"
	    "<?xml version=\"1.0\"?><b>y</b>|"), XS_END);
	both("comments and PIs after the root are the document's",
	    S("<a/> <!-- c --><?pi x?>\n<?xml-stylesheet y?><b/>"),
	    S("<a/> <!-- c --><?pi x?>\n<?xml-stylesheet y?>|<b/>|"), XS_END);
	both("a byte order mark after the root starts the next one",
	    S("<a/>\n\xef\xbb\xbf<b/>"), S("<a/>\n|<b/>|"), XS_END);
	both("text after the root starts the next one", S("<a/>x<b/>"),
	    S("<a/>|x<b/>|"), XS_END);
	both("a comment cut short after the root", S("<a/><!-"),
	    S("<a/>|<!-"), XS_MORE);
	both("comment with tags", S("<a><!-- </a> <b/> --></a>"),
	    S("<a><!-- </a> <b/> --></a>|"), XS_END);
	both("CDATA with tags", S("<a><![CDATA[</a>]]></a>"),
	    S("<a><![CDATA[</a>]]></a>|"), XS_END);
	both("quoted > and />", S("<a x=\"/>\" y='>'><b/></a>"),
	    S("<a x=\"/>\" y='>'><b/></a>|"), XS_END);
	both("PI with >", S("<?pi a>b?><a/>"), S("<?pi a>b?><a/>|"), XS_END);
	both("leading space and BOM skipped", S(" \r\n\xef\xbb\xbf<a/>"),
	    S("<a/>|"), XS_END);
	both("unclosed root runs to the end", S("<a><b></b>"), S("<a><b></b>"),
	    XS_MORE);
	both("DOCTYPE refused", S("<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY "
	    "x \"y\">]><a>&x;</a>"), S(""), XS_ERROR);
	both("DOCTYPE in the second document refused",
	    S("<a/><!DOCTYPE b><b/>"), S("<a/>|"), XS_ERROR);
	both("UTF-16LE with BOM", utf16, sizeof(utf16) - 1, utf16_out,
	    sizeof(utf16_out) - 1, XS_END);
	both("UTF-16 documents ending in newlines", utf16nl,
	    sizeof(utf16nl) - 1, utf16nl_out, sizeof(utf16nl_out) - 1, XS_END);
	both("UTF-32 refused", S("\0\0\0<\0\0\0a"), S(""), XS_ERROR);

	xs_init(&xs);
	ok(xs_scan(&xs, (const unsigned char *)"  \n ", 4, 1, &skip, &take) ==
	    XS_EMPTY && skip == 4, "white space only: no document");
	ok(xs.skipped_lines == 1, "skipped newline counted");
	xs_init(&xs);
	(void)xs_scan(&xs, (const unsigned char *)"<!DOCTYPE", 9, 1, &skip,
	    &take);
	ok(xs.error != NULL && strstr(xs.error, "DOCTYPE") != NULL,
	    "reason names DOCTYPE: %s", xs.error ? xs.error : "(none)");
	/* attributes: each opens a quote; a quote inside one is not one */
	xs_init(&xs);
	xs.max_attrs = 2;
	ok(xs_scan(&xs, (const unsigned char *)"<a x='\"' y=\"'>\"/>", 18, 1,
	    &skip, &take) == XS_END, "two attributes under max_attrs 2");
	xs_init(&xs);
	xs.max_attrs = 2;
	ok(xs_scan(&xs, (const unsigned char *)"<a><b x='1' y='2' z='3'/></a>",
	    29, 1, &skip, &take) == XS_ERROR && xs.error != NULL &&
	    strcmp(xs.error, "an element with more than 2 attributes "
	    "(xml_attributes limit)") == 0, "three refused: %s",
	    xs.error ? xs.error : "(none)");
	xs_init(&xs);
	ok(xs_scan(&xs, (const unsigned char *)"<a x='1' y='2' z='3'/>", 22, 1,
	    &skip, &take) == XS_END, "any number without max_attrs");
	ok(xs_space((const unsigned char *)"\n\n x", 4, &lines) == 3 &&
	    lines == 2, "xs_space counts space and newlines");
	return tap_done();
}
