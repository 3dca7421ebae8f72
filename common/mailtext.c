/*
 * Decoding the text of mail: base64, quoted-printable, the byte escapes
 * of RFC 2047 and RFC 2231, RFC 2047 encoded words, and the few charsets
 * we convert to UTF-8 ourselves (no iconv in a sandbox): UTF-8,
 * US-ASCII, ISO-8859-1 and Windows-1252; other charsets keep their ASCII
 * and show '?'.  unzipd's MIME walker and mailfetch's Subject check share
 * it.  Output goes to fixed buffers; what does not fit is dropped.
 */
#include <string.h>

#include "mailtext.h"

#define CHARSET_MAX	64	/* bytes of a charset name */
#define WORD_MAX	8192	/* bytes of one encoded word's text */

/* ---------------------------------------------------------- bytes */

static int
hex_value(int c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The byte "XX" after the escape at s[i] stands for, or -1. */
static int
hex_pair(const unsigned char *s, size_t i, size_t n)
{
	if (i + 2 >= n || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0)
		return -1;
	return hex_value(s[i + 1]) << 4 | hex_value(s[i + 2]);
}

static int
b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (is_digit(c))
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

void
text_add(struct text *t, const void *p, size_t n)
{
	if (n > t->cap - t->len)
		n = t->cap - t->len;
	memcpy(t->p + t->len, p, n);
	t->len += n;
}

void
text_addc(struct text *t, int c)
{
	unsigned char	b = (unsigned char)c;

	text_add(t, &b, 1);
}

/* Code point cp (below 0x10000) as UTF-8, whole or not at all. */
static void
text_add_cp(struct text *t, unsigned cp)
{
	unsigned char	u[3];
	size_t		n;

	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xc0 | cp >> 6);
		u[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else {
		u[0] = (unsigned char)(0xe0 | cp >> 12);
		u[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		u[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	}
	if (t->cap - t->len >= n)
		text_add(t, u, n);
}

/*
 * Length of the well-formed UTF-8 sequence at p (n > 0 bytes left), or 0
 * if there is none: no overlong forms, surrogates or code points past
 * U+10FFFF.
 */
size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		k, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2)
		return 0;
	if (p[0] < 0xe0)
		k = 2;
	else if (p[0] < 0xf0) {
		k = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] < 0xf5) {
		k = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < k)
		return 0;
	for (i = 1; i < k; i++) {
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return k;
}

void
text_shown(const unsigned char *p, size_t n, char *out, size_t size)
{
	unsigned	cp;
	size_t		i, k, j, o = 0;

	if (size == 0)
		return;
	for (i = 0; i < n; i += k) {
		if ((k = utf8_len(p + i, n - i)) == 0) {
			k = 1;
			cp = '?';
		} else if (k == 1)
			cp = p[i];
		else
			for (cp = p[i] & (0x7f >> k), j = 1; j < k; j++)
				cp = cp << 6 | (p[i + j] & 0x3f);
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			cp = '_';
		if (cp < 0x80) {
			if (o + 1 >= size)
				break;
			out[o++] = (char)cp;
		} else {
			if (o + k >= size)
				break;
			memcpy(out + o, p + i, k);
			o += k;
		}
	}
	out[o] = '\0';
}

/* ---------------------------------------------------------- decoders */

/*
 * base64, as mailers write it: anything outside the alphabet (line
 * breaks, white space, junk) is skipped, the first '=' ends the data and
 * a missing padding is no error.  Writes at most 3/4 of n bytes at out.
 */
size_t
b64_decode(const unsigned char *in, size_t n, unsigned char *out)
{
	unsigned	acc = 0;
	int		bits = 0, v;
	size_t		i, o = 0;

	for (i = 0; i < n && in[i] != '='; i++) {
		if ((v = b64_value(in[i])) < 0)
			continue;
		acc = (acc << 6 | (unsigned)v) & 0xffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

/*
 * Is there a line end (or the end) at in[i], after optional white space?
 * Returns where the next line starts, or 0 if not.
 */
static size_t
qp_soft_break(const unsigned char *in, size_t n, size_t i)
{
	while (i < n && is_wsp(in[i]))
		i++;
	if (i < n && in[i] == '\r')
		i++;
	if (i == n)
		return n;
	return in[i] == '\n' ? i + 1 : 0;
}

/*
 * quoted-printable: "=" at a line's end is a soft break, "=XX" a byte
 * in either case, any other '=' is kept as it is.  Writes at most n
 * bytes at out.
 */
size_t
qp_decode(const unsigned char *in, size_t n, unsigned char *out)
{
	size_t	i = 0, o = 0, next;
	int	b;

	while (i < n) {
		if (in[i] != '=') {
			out[o++] = in[i++];
			continue;
		}
		if ((next = qp_soft_break(in, n, i + 1)) != 0)
			i = next;
		else if ((b = hex_pair(in, i, n)) >= 0) {
			out[o++] = (unsigned char)b;
			i += 3;
		} else
			out[o++] = in[i++];
	}
	return o;
}

/*
 * Text with byte escapes: "<esc>XX" is a byte, any other <esc> is kept
 * as it is; with `underscore`, '_' is a space.  '%' for RFC 2231, '='
 * and underscore for RFC 2047's "Q".
 */
void
escapes_add(struct text *t, const char *s, size_t n, char esc, int underscore)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i;
	int			 b;

	for (i = 0; i < n; i++) {
		if (underscore && s[i] == '_')
			text_addc(t, ' ');
		else if (s[i] == esc && (b = hex_pair(u, i, n)) >= 0) {
			text_addc(t, b);
			i += 2;
		} else
			text_addc(t, s[i]);
	}
}

/* ---------------------------------------------------------- charsets */

enum charset { CS_UTF8, CS_1252, CS_OTHER };

/*
 * ISO-8859-1 is read as Windows-1252, as browsers do: mailers label one
 * as the other, and the bytes 0x80-0x9f are control characters in
 * ISO-8859-1 anyway.  An RFC 2231 language ("utf-8*en") is ignored.
 */
static enum charset
charset_kind(const char *cs, size_t n)
{
	static const struct {
		const char	*name;
		enum charset	 kind;
	} known[] = {
		{ "utf-8", CS_UTF8 }, { "utf8", CS_UTF8 },
		{ "us-ascii", CS_UTF8 }, { "ascii", CS_UTF8 },
		{ "iso-8859-1", CS_1252 }, { "iso8859-1", CS_1252 },
		{ "latin1", CS_1252 }, { "windows-1252", CS_1252 },
		{ "cp1252", CS_1252 },
	};
	const char	*star;
	size_t		 i;

	if (n == 0)
		return CS_UTF8;	/* none said: keep the bytes */
	if ((star = memchr(cs, '*', n)) != NULL)
		n = (size_t)(star - cs);
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strlen(known[i].name) == n &&
		    strncasecmp(known[i].name, cs, n) == 0)
			return known[i].kind;
	return CS_OTHER;
}

/* Windows-1252 0x80-0x9f; 0 where it has no character. */
static const unsigned short cp1252[32] = {
	0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
	0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
};

/* The n bytes at p, in the charset named cs, added as UTF-8. */
void
charset_add(struct text *t, const char *cs, size_t cslen,
    const unsigned char *p, size_t n)
{
	enum charset	kind = charset_kind(cs, cslen);
	size_t		i;

	if (kind == CS_UTF8) {
		text_add(t, p, n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (p[i] < 0x80)
			text_addc(t, p[i]);
		else if (kind == CS_OTHER)
			text_addc(t, '?');
		else if (p[i] >= 0xa0)
			text_add_cp(t, p[i]);
		else if (cp1252[p[i] - 0x80] != 0)
			text_add_cp(t, cp1252[p[i] - 0x80]);
		else
			text_addc(t, '?');
	}
}

/* ---------------------------------------------------------- RFC 2047 */

struct eword {
	const char	*cs;
	size_t		 cslen;
	int		 enc;		/* 'b' or 'q' */
	const char	*txt;
	size_t		 txtlen;
};

/*
 * Is there an encoded word "=?charset?B?text?=" at p (n bytes)?  Returns
 * its length with *ew filled in, or 0.
 */
static size_t
eword_parse(const char *p, size_t n, struct eword *ew)
{
	size_t	i = 2;

	if (n < 2 || p[0] != '=' || p[1] != '?')
		return 0;
	while (i < n && i - 2 <= CHARSET_MAX && is_tchar(p[i]))
		i++;
	if (i == 2 || i - 2 > CHARSET_MAX || i + 2 >= n || p[i] != '?' ||
	    p[i + 2] != '?')
		return 0;
	ew->cs = p + 2;
	ew->cslen = i - 2;
	ew->enc = lower(p[i + 1]);
	if (ew->enc != 'b' && ew->enc != 'q')
		return 0;
	i += 3;
	ew->txt = p + i;
	while (i < n && p[i] != '?')
		i++;
	if (i + 1 >= n || p[i + 1] != '=')
		return 0;
	ew->txtlen = (size_t)(p + i - ew->txt);
	return i + 2;
}

/* Encoded word ew, decoded, added as UTF-8. */
static void
eword_add(struct text *out, const struct eword *ew)
{
	unsigned char	buf[WORD_MAX];
	struct text	raw = { buf, 0, sizeof(buf) };

	if (ew->txtlen > sizeof(buf))
		return;		/* longer than any header we keep */
	if (ew->enc == 'b')
		raw.len = b64_decode((const unsigned char *)ew->txt,
		    ew->txtlen, buf);
	else
		escapes_add(&raw, ew->txt, ew->txtlen, '=', 1);
	charset_add(out, ew->cs, ew->cslen, raw.p, raw.len);
}

/*
 * The n bytes at p with their encoded words decoded, added as UTF-8;
 * white space between two encoded words is dropped (RFC 2047 6.2).
 */
void
words_add(struct text *out, const char *p, size_t n)
{
	struct eword	ew;
	size_t		i = 0, j, k;
	int		after_word = 0;

	while (i < n) {
		if ((k = eword_parse(p + i, n - i, &ew)) > 0) {
			eword_add(out, &ew);
			i += k;
			after_word = 1;
			continue;
		}
		if (after_word && is_space(p[i])) {
			for (j = i; j < n && is_space(p[j]); j++)
				;
			if (eword_parse(p + j, n - j, &ew) > 0) {
				i = j;
				continue;
			}
		}
		text_addc(out, p[i++]);
		after_word = 0;
	}
}
