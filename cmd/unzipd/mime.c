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

#include "mailtext.h"
#include "mime.h"

#define HDR_MAX		8192	/* bytes kept of a header's value */
#define TYPE_MAX	255	/* "type/subtype": 127 each (RFC 6838) */
#define BOUNDARY_MAX	200	/* RFC 2046 says 70; leave some slack */
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

/* The name as shown: what follows the last '/' or '\\', text_shown(). */
static void
name_show(const unsigned char *p, size_t n, char *out)
{
	size_t	i;

	for (i = n; i > 0 && p[i - 1] != '/' && p[i - 1] != '\\'; i--)
		;
	text_shown(p + i, n - i, out, SHOWN_MAX + 1);
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
