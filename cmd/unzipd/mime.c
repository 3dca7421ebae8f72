/*
 * Parts are found by their boundary lines in the bytes we were given;
 * of the headers we keep only Content-Type, Content-Disposition and
 * Content-Transfer-Encoding, each from at most HDR_MAX bytes, and every
 * buffer for them is fixed in size.  The recursion follows the nesting
 * of the message and each step down is checked against the depth limit
 * first, so no input drives it deeper than that.
 *
 * A leaf in base64 or quoted-printable is decoded into a buffer of its
 * encoded size (decoding never grows) and freed after the callback;
 * other leaves are passed in place.  An embedded message in base64 or
 * quoted-printable is decoded the same way and walked in its buffer.
 *
 * File names are decoded as mail clients do, leniently: RFC 2231 values
 * and continuations, RFC 2047 encoded words even inside quoted strings,
 * and folds that a mailer put inside a quoted name are dropped.  Only
 * UTF-8, US-ASCII, ISO-8859-1 and Windows-1252 are converted (no iconv
 * in the sandbox); other charsets keep their ASCII and show '?'.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"

#define HDR_MAX		8192	/* bytes kept of a header's value */
#define TYPE_MAX	255	/* "type/subtype": 127 each (RFC 6838) */
#define BOUNDARY_MAX	200	/* RFC 2046 says 70; leave some slack */
#define CHARSET_MAX	64	/* bytes of a charset name */
#define SECTIONS_MAX	64	/* RFC 2231 sections of a parameter */
#define SHOWN_MAX	200	/* bytes of a file name shown */

enum { H_TYPE, H_DISP, H_CTE, H_N };

static const char *const hnames[H_N] = {
	"content-type", "content-disposition", "content-transfer-encoding"
};

/* The headers of one entity that we care about, unfolded. */
struct headers {
	char	v[H_N][HDR_MAX];
	size_t	len[H_N];
	int	seen[H_N];
};

enum cte { CTE_NONE, CTE_BASE64, CTE_QP };

/* What the walk needs of an entity once its headers are read. */
struct entity {
	char		type[TYPE_MAX + 1];
	char		boundary[BOUNDARY_MAX + 1];
	size_t		blen;
	char		filename[SHOWN_MAX + 1];
	enum cte	cte;
};

struct walk {
	const struct mime_limits *lim;
	mime_cb		 cb;
	void		*arg;
	char		*why;
	size_t		 whylen;
	long long	 parts;		/* entities seen */
	unsigned	 leaves;
};

/* Bytes appended up to a fixed capacity; the rest is dropped. */
struct text {
	unsigned char	*p;
	size_t		 len, cap;
};

static int	entity_walk(struct walk *, const unsigned char *, size_t,
		    const char *, int);
static int	fail(struct walk *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static int
fail(struct walk *w, const char *fmt, ...)
{
	va_list	ap;

	if (w->whylen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(w->why, w->whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---------------------------------------------------------- bytes */

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* White space in an unfolded header value: '\n' marks a fold. */
static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 token characters; '*' among them, for RFC 2231 names. */
static int
is_tchar(int c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

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

static void
text_add(struct text *t, const void *p, size_t n)
{
	if (n > t->cap - t->len)
		n = t->cap - t->len;
	memcpy(t->p + t->len, p, n);
	t->len += n;
}

static void
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
static size_t
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

/* ---------------------------------------------------------- decoders */

/*
 * base64, as mailers write it: anything outside the alphabet (line
 * breaks, white space, junk) is skipped, the first '=' ends the data and
 * a missing padding is no error.  Writes at most 3/4 of n bytes at out.
 */
static size_t
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
static size_t
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
static void
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
static void
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
	unsigned char	buf[HDR_MAX];
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
static void
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

/* ---------------------------------------------------------- parameters */

static const char *
skip_comment(const char *s)
{
	int	depth = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && --depth == 0)
			return s + 1;
	}
	return s;
}

static const char *
skip_quoted(const char *s)
{
	for (s++; *s != '\0' && *s != '"'; s++)
		if (*s == '\\' && s[1] != '\0')
			s++;
	return *s == '"' ? s + 1 : s;
}

static const char *
skip_cfws(const char *s)
{
	for (;;) {
		while (is_space(*s))
			s++;
		if (*s != '(')
			return s;
		s = skip_comment(s);
	}
}

/*
 * A parameter value at s, unquoted, into v (vcap > 0 bytes, NUL
 * terminated, the rest dropped).  A fold inside a quoted string is one
 * a mailer put in the middle of a long name: it goes, white space and
 * all.  An unquoted value is lenient too: anything up to white space,
 * ';' or a comment (boundaries often hold a bare '=').
 */
static const char *
value_read(const char *s, char *v, size_t vcap, size_t *vlen)
{
	size_t	n = 0;

	if (*s == '"') {
		for (s++; *s != '\0' && *s != '"'; s++) {
			if (*s == '\n') {
				while (is_wsp(s[1]))
					s++;
				continue;
			}
			if (*s == '\\' && s[1] != '\0')
				s++;
			if (n + 1 < vcap)
				v[n++] = *s;
		}
		if (*s == '"')
			s++;
	} else {
		for (; *s != '\0' && *s != ';' && *s != '(' && !is_space(*s);
		    s++)
			if (n + 1 < vcap)
				v[n++] = *s;
	}
	v[n] = '\0';
	*vlen = n;
	return s;
}

/*
 * The next "; attribute = value" of header value s: junk up to the
 * next ';' outside quoted strings and comments is skipped, so is the
 * value before the first ';'.  The attribute stays in place; the value
 * is read into v as by value_read().  Returns where to go on, or NULL at
 * the end.
 */
static const char *
param_next(const char *s, const char **name, size_t *namelen, char *v,
    size_t vcap, size_t *vlen)
{
	for (;;) {
		while (*s != '\0' && *s != ';') {
			if (*s == '"')
				s = skip_quoted(s);
			else if (*s == '(')
				s = skip_comment(s);
			else
				s++;
		}
		if (*s == '\0')
			return NULL;
		*name = s = skip_cfws(s + 1);
		while (is_tchar(*s))
			s++;
		*namelen = (size_t)(s - *name);
		s = skip_cfws(s);
		if (*namelen > 0 && *s == '=')
			return value_read(skip_cfws(s + 1), v, vcap, vlen);
	}
}

/*
 * Is name (n bytes) attr, attr*, attr*N or attr*N* (RFC 2231)?  Returns
 * the section N, -1 for none, -2 for another name; *ext says whether
 * the value is extended (charset'language'%XX).
 */
static int
param_match(const char *name, size_t n, const char *attr, int *ext)
{
	size_t	alen = strlen(attr);
	int	sec = -1;

	*ext = 0;
	if (n < alen || strncasecmp(name, attr, alen) != 0)
		return -2;
	name += alen;
	n -= alen;
	if (n == 0)
		return -1;
	if (*name != '*')
		return -2;
	name++, n--;
	if (n > 0 && is_digit(*name)) {
		if (*name == '0' && n > 1 && name[1] != '*')
			return -2;	/* a leading zero */
		for (sec = 0; n > 0 && is_digit(*name); name++, n--)
			if ((sec = sec * 10 + *name - '0') >= SECTIONS_MAX)
				return -2;
		if (n == 0)
			return sec;
		if (*name != '*')
			return -2;
		name++, n--;
	}
	if (n != 0)
		return -2;
	*ext = 1;
	return sec;
}

enum { PV_NONE, PV_PLAIN, PV_EXT };

struct pvalue {
	int	kind;
	size_t	off, len;	/* in struct params' buf */
};

/* One parameter's values, in all its RFC 2231 forms. */
struct params {
	char		buf[HDR_MAX];	/* the values, one after another */
	size_t		used;
	struct pvalue	whole;		/* attr= or attr*= */
	struct pvalue	sec[SECTIONS_MAX]; /* attr*N= or attr*N*= */
};

/*
 * Collect parameter attr of header value hv, in one pass: the first of
 * each form, an extended one over a plain one.  The values fit in buf:
 * each is shorter than the header text it came from.
 */
static void
params_collect(const char *hv, const char *attr, struct params *pc)
{
	struct pvalue	*pv;
	const char	*s = hv, *name;
	size_t		 namelen, vlen;
	int		 sec, ext, i;

	pc->used = 0;
	pc->whole.kind = PV_NONE;
	for (i = 0; i < SECTIONS_MAX; i++)
		pc->sec[i].kind = PV_NONE;
	while (pc->used < sizeof(pc->buf) && (s = param_next(s, &name,
	    &namelen, pc->buf + pc->used, sizeof(pc->buf) - pc->used,
	    &vlen)) != NULL) {
		if ((sec = param_match(name, namelen, attr, &ext)) == -2)
			continue;
		pv = sec == -1 ? &pc->whole : &pc->sec[sec];
		if (pv->kind == PV_EXT || (pv->kind == PV_PLAIN && !ext))
			continue;
		pv->kind = ext ? PV_EXT : PV_PLAIN;
		pv->off = pc->used;
		pv->len = vlen;
		pc->used += vlen + 1;
	}
}

/*
 * Split an extended value "charset'language'text": the charset is
 * returned in *cs, *cslen, the text is what follows.  Without the
 * quotes, all of it is text and there is no charset.
 */
static const char *
ext_split(const char *v, size_t *n, const char **cs, size_t *cslen)
{
	const char	*q1, *q2;

	*cs = v;
	*cslen = 0;
	if ((q1 = memchr(v, '\'', *n)) == NULL)
		return v;
	*cslen = (size_t)(q1 - v);
	q1++;
	if ((q2 = memchr(q1, '\'', *n - (size_t)(q1 - v))) != NULL)
		q1 = q2 + 1;
	*n -= (size_t)(q1 - v);
	return q1;
}

/*
 * Parameter attr of header value hv as UTF-8 in out: the extended form,
 * else the continued one, else the plain one (with RFC 2047 words).
 * Returns 0 when hv has none.
 */
static int
param_text(const char *hv, const char *attr, struct text *out)
{
	struct params	 pc;
	unsigned char	 buf[HDR_MAX];
	struct text	 raw = { buf, 0, sizeof(buf) };
	const char	*v, *cs = "";
	size_t		 n, cslen = 0;
	int		 i, ext = 0;

	params_collect(hv, attr, &pc);
	if (pc.whole.kind == PV_EXT) {
		n = pc.whole.len;
		v = ext_split(pc.buf + pc.whole.off, &n, &cs, &cslen);
		escapes_add(&raw, v, n, '%', 0);
		charset_add(out, cs, cslen, raw.p, raw.len);
		return 1;
	}
	if (pc.sec[0].kind != PV_NONE) {
		for (i = 0; i < SECTIONS_MAX && pc.sec[i].kind != PV_NONE;
		    i++) {
			v = pc.buf + pc.sec[i].off;
			n = pc.sec[i].len;
			if (pc.sec[i].kind == PV_PLAIN) {
				text_add(&raw, v, n);
				continue;
			}
			if (i == 0)
				v = ext_split(v, &n, &cs, &cslen);
			escapes_add(&raw, v, n, '%', 0);
			ext = 1;
		}
		if (ext)
			charset_add(out, cs, cslen, raw.p, raw.len);
		else
			words_add(out, (const char *)raw.p, raw.len);
		return 1;
	}
	if (pc.whole.kind == PV_PLAIN) {
		words_add(out, pc.buf + pc.whole.off, pc.whole.len);
		return 1;
	}
	return 0;
}

/* ---------------------------------------------------------- headers */

/* Header line p (n bytes, no line end): one we keep? */
static int
header_pick(struct headers *h, const unsigned char *p, size_t n)
{
	const unsigned char	*colon;
	size_t			 namelen, vlen;
	int			 k;

	if ((colon = memchr(p, ':', n)) == NULL)
		return -1;
	for (namelen = (size_t)(colon - p); namelen > 0 &&
	    is_wsp(p[namelen - 1]); namelen--)
		;
	for (k = 0; k < H_N; k++)
		if (strlen(hnames[k]) == namelen &&
		    strncasecmp(hnames[k], (const char *)p, namelen) == 0)
			break;
	if (k == H_N || h->seen[k])
		return -1;	/* the first one counts */
	h->seen[k] = 1;
	vlen = n - (size_t)(colon + 1 - p);
	if (vlen > HDR_MAX - 1)
		vlen = HDR_MAX - 1;
	memcpy(h->v[k], colon + 1, vlen);
	h->v[k][vlen] = '\0';
	h->len[k] = vlen;
	return k;
}

/* A continuation line of header k: '\n' marks the fold. */
static void
header_continue(struct headers *h, int k, const unsigned char *p, size_t n)
{
	size_t	room = HDR_MAX - 1 - h->len[k];

	if (room == 0)
		return;
	h->v[k][h->len[k]++] = '\n';
	if (n > room - 1)
		n = room - 1;
	memcpy(h->v[k] + h->len[k], p, n);
	h->len[k] += n;
	h->v[k][h->len[k]] = '\0';
}

/*
 * Read the header section at p.  Returns where the body starts: after
 * the first empty line, or at len when there is none (all headers).
 */
static size_t
headers_read(struct headers *h, const unsigned char *p, size_t len)
{
	const unsigned char	*nl;
	size_t			 i = 0, end, next;
	int			 k, cur = -1;

	for (k = 0; k < H_N; k++) {
		h->v[k][0] = '\0';
		h->len[k] = 0;
		h->seen[k] = 0;
	}
	while (i < len) {
		nl = memchr(p + i, '\n', len - i);
		end = nl != NULL ? (size_t)(nl - p) : len;
		next = nl != NULL ? end + 1 : len;
		if (end > i && p[end - 1] == '\r')
			end--;
		if (end == i)
			return next;
		if (is_wsp(p[i])) {
			if (cur != -1)
				header_continue(h, cur, p + i, end - i);
		} else
			cur = header_pick(h, p + i, end - i);
		i = next;
	}
	return len;
}

/* ---------------------------------------------------------- entities */

/*
 * "type/subtype" of a Content-Type value, lower-cased, or deflt when
 * there is none or it is malformed (RFC 2045 5.2).
 */
static void
type_read(const char *hv, const char *deflt, char *type, size_t size)
{
	const char	*t1, *e1, *slash, *t2, *e2;

	for (t1 = e1 = skip_cfws(hv); is_tchar(*e1); e1++)
		;
	slash = skip_cfws(e1);
	t2 = *slash == '/' ? skip_cfws(slash + 1) : slash;
	for (e2 = t2; is_tchar(*e2); e2++)
		;
	if (e1 == t1 || *slash != '/' || e2 == t2 ||
	    (size_t)(e1 - t1) + 1 + (size_t)(e2 - t2) >= size) {
		(void)snprintf(type, size, "%s", deflt);
		return;
	}
	for (; t1 < e1; t1++)
		*type++ = (char)lower(*t1);
	*type++ = '/';
	for (; t2 < e2; t2++)
		*type++ = (char)lower(*t2);
	*type = '\0';
}

static enum cte
cte_read(const char *hv)
{
	const char	*s = skip_cfws(hv), *t = s;
	size_t		 n;

	while (is_tchar(*s))
		s++;
	n = (size_t)(s - t);
	if (n == 6 && strncasecmp(t, "base64", n) == 0)
		return CTE_BASE64;
	if (n == 16 && strncasecmp(t, "quoted-printable", n) == 0)
		return CTE_QP;
	return CTE_NONE;	/* 7bit, 8bit, binary, or unknown: as is */
}

/*
 * The name as shown: what follows the last '/' or '\', control
 * characters (C0, DEL, C1, and the bidirectional overrides that can
 * reorder what a terminal shows) as '_', bytes that are not UTF-8 as
 * '?', cut at a character boundary to at most SHOWN_MAX bytes.
 */
static void
name_show(const unsigned char *p, size_t n, char *out)
{
	unsigned	cp;
	size_t		i, k, j, o = 0;

	for (i = n; i > 0 && p[i - 1] != '/' && p[i - 1] != '\\'; i--)
		;
	for (; i < n; i += k) {
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
			if (o + 1 > SHOWN_MAX)
				break;
			out[o++] = (char)cp;
		} else {
			if (o + k > SHOWN_MAX)
				break;
			memcpy(out + o, p + i, k);
			o += k;
		}
	}
	out[o] = '\0';
}

/* Content-Disposition's filename, else Content-Type's name. */
static void
filename_read(const struct headers *h, char *out)
{
	unsigned char	buf[HDR_MAX];
	struct text	name = { buf, 0, sizeof(buf) };

	if (!param_text(h->v[H_DISP], "filename", &name) || name.len == 0) {
		name.len = 0;
		(void)param_text(h->v[H_TYPE], "name", &name);
	}
	name_show(name.p, name.len, out);
}

/*
 * Read the headers of the entity at p into *e; *body is where its body
 * starts.  Returns -1 for a multipart we can not split.
 */
static int
entity_read(struct walk *w, const unsigned char *p, size_t len,
    const char *deflt, struct entity *e, size_t *body)
{
	struct headers	 h;
	char		 v[BOUNDARY_MAX + 2];
	const char	*s, *name;
	size_t		 namelen, vlen;
	int		 ext;

	*body = headers_read(&h, p, len);
	type_read(h.v[H_TYPE], deflt, e->type, sizeof(e->type));
	e->cte = cte_read(h.v[H_CTE]);
	filename_read(&h, e->filename);
	e->blen = 0;
	if (strncmp(e->type, "multipart/", 10) != 0)
		return 0;
	for (s = h.v[H_TYPE]; (s = param_next(s, &name, &namelen, v,
	    sizeof(v), &vlen)) != NULL;)
		if (param_match(name, namelen, "boundary", &ext) == -1 &&
		    !ext)
			break;
	if (s == NULL || vlen == 0)
		return fail(w, "%s without a boundary", e->type);
	if (vlen > BOUNDARY_MAX)
		return fail(w, "%s boundary longer than %d bytes", e->type,
		    BOUNDARY_MAX);
	memcpy(e->boundary, v, vlen + 1);
	e->blen = vlen;
	return 0;
}

/*
 * Is the line at p[i] (a line start) a delimiter "--boundary", or the
 * closing "--boundary--", followed by white space only?  Returns 1 or 2
 * (closing) with *next at the following line, or 0.
 */
static int
delimiter(const unsigned char *p, size_t len, size_t i,
    const struct entity *e, size_t *next)
{
	const unsigned char	*nl;
	size_t			 end;
	int			 rc = 1;

	nl = memchr(p + i, '\n', len - i);
	end = nl != NULL ? (size_t)(nl - p) : len;
	*next = nl != NULL ? end + 1 : len;
	if (end - i < 2 + e->blen || p[i] != '-' || p[i + 1] != '-' ||
	    memcmp(p + i + 2, e->boundary, e->blen) != 0)
		return 0;
	i += 2 + e->blen;
	if (end - i >= 2 && p[i] == '-' && p[i + 1] == '-') {
		rc = 2;
		i += 2;
	}
	for (; i < end; i++)
		if (!is_wsp(p[i]) && p[i] != '\r')
			return 0;
	return rc;
}

/*
 * The next delimiter line at or after line start i.  Returns 0 if there
 * is none, else 1 or 2 as delimiter() with *at where the line starts.
 */
static int
delimiter_find(const unsigned char *p, size_t len, size_t i,
    const struct entity *e, size_t *at, size_t *next)
{
	int	rc;

	while (i < len) {
		if ((rc = delimiter(p, len, i, e, next)) != 0) {
			*at = i;
			return rc;
		}
		i = *next;
	}
	return 0;
}

/*
 * The body parts between the delimiters; preamble and epilogue are
 * ignored, a missing closing delimiter is forgiven, and the line end
 * before a delimiter belongs to the delimiter.
 */
static int
multipart_walk(struct walk *w, const struct entity *e, const unsigned char *p,
    size_t len, int depth)
{
	const char	*deflt = "text/plain";
	size_t		 start, end, at, next;
	int		 rc;

	if (strcmp(e->type, "multipart/digest") == 0)
		deflt = "message/rfc822";	/* RFC 2046 5.1.5 */
	if ((rc = delimiter_find(p, len, 0, e, &at, &next)) == 0)
		return 0;
	while (rc == 1) {
		start = next;
		if ((rc = delimiter_find(p, len, start, e, &at, &next)) == 0)
			end = len;
		else {
			end = at;
			if (end > start && p[end - 1] == '\n')
				end--;
			if (end > start && p[end - 1] == '\r')
				end--;
		}
		if (entity_walk(w, p + start, end - start, deflt,
		    depth + 1) == -1)
			return -1;
	}
	return 0;
}

/* Decode the body of e in a new buffer; *out is NULL if it is as is. */
static int
body_decode(struct walk *w, const struct entity *e, const unsigned char *p,
    size_t len, unsigned char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = len;
	if (e->cte == CTE_NONE || len == 0)
		return 0;
	if ((*out = malloc(len)) == NULL)
		return fail(w, "out of memory");
	if (e->cte == CTE_BASE64)
		*outlen = b64_decode(p, len, *out);
	else
		*outlen = qp_decode(p, len, *out);
	return 0;
}

static int
leaf_walk(struct walk *w, const struct entity *e, const unsigned char *p,
    size_t len, int depth)
{
	struct mime_part	 part;
	unsigned char		*buf;
	int			 rc;

	if (body_decode(w, e, p, len, &buf, &part.len) == -1)
		return -1;
	part.body = buf != NULL ? buf : p;
	part.type = e->type;
	part.filename = e->filename[0] != '\0' ? e->filename : NULL;
	part.depth = depth;
	part.index = ++w->leaves;
	rc = w->cb(w->arg, &part);
	free(buf);
	if (rc != 0) {
		if (w->whylen > 0)
			w->why[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * Transfer encodings are not allowed on a multipart (RFC 2045 6.4) and
 * ignored there, as other readers do; on an embedded message they are
 * rare but seen, and decoded.
 */
static int
entity_walk(struct walk *w, const unsigned char *p, size_t len,
    const char *deflt, int depth)
{
	struct entity	 e;
	unsigned char	*buf;
	size_t		 body, n;
	int		 rc;

	if (depth > w->lim->depth)
		return fail(w, "MIME parts nested deeper than %lld "
		    "(mime_depth limit)", w->lim->depth);
	if (++w->parts > w->lim->parts)
		return fail(w, "more than %lld MIME parts (mime_parts limit)",
		    w->lim->parts);
	if (entity_read(w, p, len, deflt, &e, &body) == -1)
		return -1;
	p += body;
	len -= body;
	if (e.blen > 0)
		return multipart_walk(w, &e, p, len, depth);
	if (strcmp(e.type, "message/rfc822") != 0 &&
	    strcmp(e.type, "message/global") != 0)
		return leaf_walk(w, &e, p, len, depth);
	if (body_decode(w, &e, p, len, &buf, &n) == -1)
		return -1;
	rc = entity_walk(w, buf != NULL ? buf : p, n, "text/plain", depth + 1);
	free(buf);
	return rc;
}

int
mime_walk(const unsigned char *msg, size_t len,
    const struct mime_limits *lim, mime_cb cb, void *arg, char *why,
    size_t whylen)
{
	struct walk	w;

	w.lim = lim;
	w.cb = cb;
	w.arg = arg;
	w.why = why;
	w.whylen = whylen;
	w.parts = 0;
	w.leaves = 0;
	if (whylen > 0)
		why[0] = '\0';
	if (msg == NULL)
		msg = (const unsigned char *)"";
	return entity_walk(&w, msg, len, "text/plain", 0);
}
