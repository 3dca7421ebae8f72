/*
 * The report reader: libxml2's xmlTextReader (a pull parser that frees
 * each node once it is passed) driven by a table of the elements we
 * know, matched on local names so that RFC 7489 (no namespace, or
 * dmarc-xml/0.1) and RFC 9990 (urn:ietf:params:xml:ns:dmarc-2.0) reports
 * go through the same code.  Unknown elements and <extension> content
 * are skipped without keeping their text.
 *
 * Bytes reach libxml2 only through src_read(), which runs them through
 * the xmlsplit gate first: a DOCTYPE never reaches the parser, and the
 * parser sees one document at a time, its input ending where the
 * document does.  libxml2 is told never to touch the network, never to
 * load a DTD and never to substitute entities.
 */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlreader.h>

#include "limit.h"
#include "log.h"
#include "parse.h"
#include "report.h"
#include "xmlsplit.h"

#define SRC_BUFSIZE	(64 * 1024)

/* The byte source: one input, cut into documents by the gate. */
struct src {
	int		 fd;
	unsigned char	 buf[SRC_BUFSIZE];
	size_t		 off, len;
	int		 eof;
	int		 read_errno;	/* a read(2) failure */
	const char	*refused;	/* the gate's reason */
	unsigned long	 refused_line;	/* newlines before it, in the
					   bytes the parser has not seen */
	int		 doc_done;	/* the gate closed: document ended */
	int		 doc_cut;	/* ...by the end of the input */
	struct xmlsplit	 xs;
	unsigned long	 lines;		/* newlines before this document */
	unsigned long	 doc_lines;	/* newlines passed in this one */
	unsigned long long doc_bytes;	/* its bytes the parser has had */
	int		 rooted;	/* its root element has begun */
	long long	 max_attrs;	/* the gate's, for each document */
};

/* Where an element is: the contexts of the table below. */
enum ctx {
	X_OUT,		/* outside any <feedback> (root or a wrapper) */
	X_FEEDBACK, X_META, X_DATE, X_POLICY, X_RECORD, X_ROW, X_EVAL,
	X_REASON, X_IDENT, X_AUTH, X_DKIM, X_SPF,
	X_LEAF,		/* an element whose text we keep */
	X_SKIP,		/* unknown: ignored with everything in it */
	X_NCTX
};

/* Where a leaf's text goes. */
enum slot_kind { K_HDR, K_REC, K_DKIM, K_SPF, K_REASON, K_ERROR };

enum sub {	/* fields of repeated entries */
	A_DOMAIN, A_SELECTOR, A_SCOPE, A_RESULT, A_HUMAN,
	N_TYPE, N_COMMENT, E_TEXT
};

struct elem {
	enum ctx	 parent;
	const char	*name;
	enum ctx	 ctx;
	enum slot_kind	 kind;
	int		 field;		/* enum hfield, rfield or sub */
	int		 lang_field;	/* header field for lang=, or -1 */
};

#define LEAF(p, n, k, f)	{ p, n, X_LEAF, k, f, -1 }
#define NODE(p, n, c)		{ p, n, c, K_HDR, -1, -1 }

static const struct elem elems[] = {
	LEAF(X_FEEDBACK, "version", K_HDR, H_VERSION),
	NODE(X_FEEDBACK, "report_metadata", X_META),
	NODE(X_FEEDBACK, "policy_published", X_POLICY),
	NODE(X_FEEDBACK, "record", X_RECORD),
	LEAF(X_META, "org_name", K_HDR, H_ORG_NAME),
	LEAF(X_META, "email", K_HDR, H_EMAIL),
	{ X_META, "extra_contact_info", X_LEAF, K_HDR, H_EXTRA_CONTACT,
	    H_EXTRA_CONTACT_LANG },
	LEAF(X_META, "report_id", K_HDR, H_REPORT_ID),
	NODE(X_META, "date_range", X_DATE),
	LEAF(X_META, "error", K_ERROR, E_TEXT),
	LEAF(X_META, "generator", K_HDR, H_GENERATOR),
	LEAF(X_DATE, "begin", K_HDR, H_BEGIN),
	LEAF(X_DATE, "end", K_HDR, H_END),
	LEAF(X_POLICY, "domain", K_HDR, H_DOMAIN),
	LEAF(X_POLICY, "adkim", K_HDR, H_ADKIM),
	LEAF(X_POLICY, "aspf", K_HDR, H_ASPF),
	LEAF(X_POLICY, "p", K_HDR, H_P),
	LEAF(X_POLICY, "sp", K_HDR, H_SP),
	LEAF(X_POLICY, "pct", K_HDR, H_PCT),
	LEAF(X_POLICY, "fo", K_HDR, H_FO),
	LEAF(X_POLICY, "np", K_HDR, H_NP),
	LEAF(X_POLICY, "testing", K_HDR, H_TESTING),
	LEAF(X_POLICY, "discovery_method", K_HDR, H_DISCOVERY),
	NODE(X_RECORD, "row", X_ROW),
	NODE(X_RECORD, "identifiers", X_IDENT),
	NODE(X_RECORD, "auth_results", X_AUTH),
	LEAF(X_ROW, "source_ip", K_REC, R_SOURCE_IP),
	LEAF(X_ROW, "count", K_REC, R_COUNT),
	NODE(X_ROW, "policy_evaluated", X_EVAL),
	LEAF(X_EVAL, "disposition", K_REC, R_DISPOSITION),
	LEAF(X_EVAL, "dkim", K_REC, R_EVAL_DKIM),
	LEAF(X_EVAL, "spf", K_REC, R_EVAL_SPF),
	NODE(X_EVAL, "reason", X_REASON),
	LEAF(X_REASON, "type", K_REASON, N_TYPE),
	LEAF(X_REASON, "comment", K_REASON, N_COMMENT),
	LEAF(X_IDENT, "header_from", K_REC, R_HEADER_FROM),
	LEAF(X_IDENT, "envelope_from", K_REC, R_ENVELOPE_FROM),
	LEAF(X_IDENT, "envelope_to", K_REC, R_ENVELOPE_TO),
	NODE(X_AUTH, "dkim", X_DKIM),
	NODE(X_AUTH, "spf", X_SPF),
	LEAF(X_DKIM, "domain", K_DKIM, A_DOMAIN),
	LEAF(X_DKIM, "selector", K_DKIM, A_SELECTOR),
	LEAF(X_DKIM, "result", K_DKIM, A_RESULT),
	LEAF(X_DKIM, "human_result", K_DKIM, A_HUMAN),
	LEAF(X_SPF, "domain", K_SPF, A_DOMAIN),
	LEAF(X_SPF, "scope", K_SPF, A_SCOPE),
	LEAF(X_SPF, "result", K_SPF, A_RESULT),
	LEAF(X_SPF, "human_result", K_SPF, A_HUMAN),
};
#define NELEMS	(sizeof(elems) / sizeof(elems[0]))

/* The table is grouped by parent: where each group starts and ends. */
static size_t	group_start[X_NCTX], group_end[X_NCTX];

struct parser {
	xmlTextReaderPtr	 r;
	const char		*name;
	const struct limits	*lim;
	struct sink		*sink;
	struct src		*src;
	enum ctx		*stack;		/* context at each depth */
	xmlNodePtr		*open;		/* open element at each depth */
	const struct elem	*leaf;		/* the leaf being read */
	struct val		*leaf_val;	/* where its text goes */
	struct val		*leaf_lang;
	struct pool		*leaf_pool;
	char			*text;		/* the leaf's text so far */
	size_t			 ntext;
	int			 in_report;
	int			 have_row;	/* the record's first <row> */
	unsigned long		 report;	/* reports begun in the input */
	unsigned long		 complete;	/* reports ended well */
	int			 bad;		/* a report was refused */
	int			 stop;		/* the sink said stop */
	unsigned long long	 events;	/* bytes of the report's events */
	char			 why[512];	/* first refusal in this doc */
	char			 xmlerr[400];	/* first libxml2 error */
	char			 root[64];	/* the document's root element */
	int			 xmlerr_line;
	struct header		 h;
	struct record		 rec;
	const char		*interned[NELEMS];	/* names, in r's dict */
};

static const char *const encodings[] = {
	"WINDOWS-1252", "WINDOWS-1250", "WINDOWS-1251", "ISO-8859-2",
	"ISO-8859-15", "KOI8-R", "GB18030", "BIG5", "SHIFT_JIS", "EUC-JP",
	"ISO-2022-JP", "EUC-KR",
};

void
parse_setup(void)
{
	size_t	i;
	int	c;

	xmlInitParser();
	/*
	 * libxml2 converts legacy encodings with iconv(3), and glibc's
	 * iconv loads a module per encoding, which the sandbox forbids.
	 * Keeping one descriptor open per encoding that reporters use keeps
	 * its module loaded; any other encoding fails with a clear error.
	 */
	for (i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++)
		(void)iconv_open("UTF-8", encodings[i]);
	for (i = 0; i < NELEMS; i++) {
		c = elems[i].parent;
		if (group_end[c] == 0)
			group_start[c] = i;
		group_end[c] = i + 1;
	}
}

/* ---------------------------------------------------------- byte source */

static int
src_fill(struct src *s)
{
	ssize_t	n;

	if (s->off > 0) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->len == sizeof(s->buf))
		return 0;
	do
		n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		s->read_errno = errno;
		return -1;
	}
	if (n == 0)
		s->eof = 1;
	s->len += (size_t)n;
	return 0;
}

static unsigned long
count_lines(const unsigned char *p, size_t n)
{
	const unsigned char	*q, *end = p + n;
	unsigned long		 k = 0;

	while ((q = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p = q + 1;
	}
	return k;
}

/* libxml2's read callback: the current document's bytes, then 0. */
static int
src_read(void *ctx, char *dst, int want)
{
	struct src	*s = ctx;
	enum xs_status	 st;
	size_t		 avail, skip, take;
	int		 last;

	while (!s->doc_done) {
		if (s->off == s->len && !s->eof) {
			if (src_fill(s) == -1)
				return -1;
			continue;
		}
		avail = s->len - s->off;
		if (avail > (size_t)want)
			avail = (size_t)want;
		last = s->eof && avail == s->len - s->off;
		st = xs_scan(&s->xs, s->buf + s->off, avail, last, &skip,
		    &take);
		s->off += skip;
		if (st == XS_ERROR) {
			s->refused = s->xs.error;
			s->refused_line = count_lines(s->buf + s->off, take);
			return -1;
		}
		if (st == XS_END || st == XS_EMPTY || (take == 0 && last))
			s->doc_done = 1;
		if (take == 0 && last && st == XS_MORE)
			s->doc_cut = 1;
		if (take > 0) {
			memcpy(dst, s->buf + s->off, take);
			s->doc_bytes += take;
			/*
			 * Past the prolog the parser counts lines for us
			 * (doc_end()); only the gate refuses before it.
			 */
			if (!s->rooted) {
				s->doc_lines += count_lines(s->buf + s->off,
				    take);
				s->rooted = s->xs.depth > 0 || s->xs.after;
			}
			s->off += take;
			return (int)take;
		}
		if (!s->doc_done && src_fill(s) == -1)
			return -1;
	}
	return 0;
}

/*
 * Between documents: skip white space; 1 if another document follows,
 * 0 at the end of the input, -1 on a read error.
 */
static int
src_next(struct src *s)
{
	s->lines += s->doc_lines + s->xs.skipped_lines;
	s->doc_lines = 0;
	s->doc_bytes = 0;
	xs_init(&s->xs);
	s->xs.max_attrs = s->max_attrs;
	s->doc_done = s->doc_cut = s->rooted = 0;
	for (;;) {
		s->off += xs_space(s->buf + s->off, s->len - s->off, &s->lines);
		/* two bytes, for src_encoding() */
		if (s->off < s->len && (s->len - s->off >= 2 || s->eof))
			return 1;
		if (s->off == s->len && s->eof)
			return 0;
		if (src_fill(s) == -1)
			return -1;
	}
}

/*
 * UTF-16 without a byte order mark is not XML on its own, but a report
 * that follows a UTF-16 one in the same input often is just that: the
 * producer wrote one mark for the whole stream.  Tell the parser.
 */
static const char *
src_encoding(const struct src *s)
{
	const unsigned char	*p = s->buf + s->off;

	if (s->len - s->off < 2)
		return NULL;
	if (p[0] == '<' && p[1] == 0)
		return "UTF-16LE";
	if (p[0] == 0 && p[1] == '<')
		return "UTF-16BE";
	return NULL;
}

/* ---------------------------------------------------------- values */

static void
pool_reset(struct pool *p, size_t max)
{
	p->len = 0;
	p->max = max;
}

static int
pool_add(struct pool *p, const char *s, size_t n, struct val *v)
{
	size_t	 cap;
	char	*nb;

	if (n > p->max - p->len || n > INT32_MAX)
		return -1;
	if (p->len + n > p->cap) {
		cap = p->cap ? p->cap : 4096;
		while (cap < p->len + n)
			cap *= 2;
		if ((nb = realloc(p->buf, cap)) == NULL)
			return -1;
		p->buf = nb;
		p->cap = cap;
	}
	if (n > 0)	/* an empty value into a pool not yet allocated */
		memcpy(p->buf + p->len, s, n);
	v->off = (int32_t)p->len;
	v->len = (int32_t)n;
	p->len += n;
	return 0;
}

static void
vals_clear(struct val *v, size_t n)
{
	while (n-- > 0)
		v[n].off = -1, v[n].len = 0;
}

/* Grow an entry array by one cleared entry; NULL over the limit. */
static void *
entry_add(void **arr, size_t *n, size_t *cap, size_t size, size_t nvals,
    long long max)
{
	void	*na;
	char	*e;

	if ((long long)*n >= max)
		return NULL;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		if ((na = reallocarray(*arr, *cap, size)) == NULL)
			return NULL;
		*arr = na;
	}
	e = (char *)*arr + *n * size;
	vals_clear((struct val *)(void *)e, nvals);
	(*n)++;
	return e;
}

/* ---------------------------------------------------------- the reader */

/*
 * The input's line of what the reader is on: the node's own line where
 * it has one, which is behind the parser's read-ahead.
 */
static unsigned long
where(const struct parser *p)
{
	xmlNodePtr	node;
	long		line = 0;

	if ((node = xmlTextReaderCurrentNode(p->r)) != NULL)
		line = xmlGetLineNo(node);
	if (line <= 0)
		line = xmlTextReaderGetParserLineNumber(p->r);
	return p->src->lines + p->src->xs.skipped_lines + (unsigned long)line;
}

static void
refuse(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
refuse(struct parser *p, const char *fmt, ...)
{
	va_list	ap;
	int	n = 0;

	if (p->why[0] != '\0')
		return;
	if (p->r != NULL)
		n = snprintf(p->why, sizeof(p->why), "line %lu: ", where(p));
	if (n < 0 || (size_t)n >= sizeof(p->why))
		n = 0;
	va_start(ap, fmt);
	(void)vsnprintf(p->why + n, sizeof(p->why) - (size_t)n, fmt, ap);
	va_end(ap);
}

static void
xml_error(void *arg, xmlErrorPtr e)
{
	struct parser	*p = arg;
	size_t		 n;

	if (e == NULL || e->level < XML_ERR_ERROR || p->xmlerr[0] != '\0')
		return;
	/*
	 * libxml2's own cap on one text, name, attribute value, comment or
	 * PI, said in its internal words: say what was too big.  Text that
	 * big in a leaf passed our xml_text limit long ago, but libxml2
	 * gathers a text node whole before we see any of it.
	 */
	if (e->message != NULL && strstr(e->message, "huge text node") &&
	    p->leaf != NULL)
		(void)snprintf(p->xmlerr, sizeof(p->xmlerr), "text of <%s> "
		    "over %lld bytes (xml_text limit)", p->leaf->name,
		    p->lim->xml_text);
	else if (e->message != NULL && (strstr(e->message, "huge text node") ||
	    strstr(e->message, "Huge input lookup")))
		(void)snprintf(p->xmlerr, sizeof(p->xmlerr), "a text, name, "
		    "attribute value, comment or processing instruction "
		    "over %d bytes (libxml2's limit)", XML_MAX_TEXT_LENGTH);
	else
		(void)snprintf(p->xmlerr, sizeof(p->xmlerr), "%s",
		    e->message ? e->message : "XML error");
	n = strlen(p->xmlerr);
	while (n > 0 && (p->xmlerr[n - 1] == '\n' || p->xmlerr[n - 1] == ' '))
		p->xmlerr[--n] = '\0';
	p->xmlerr_line = e->line;
}

/*
 * Element names come from the reader's dictionary, where the table's
 * names were interned at the document's start: a known name is found by
 * its pointer.  strcmp() is the fallback, for a name the dictionary
 * did not give us.
 */
static const struct elem *
lookup(const struct parser *p, enum ctx parent, const char *name)
{
	size_t	i;

	for (i = group_start[parent]; i < group_end[parent]; i++)
		if (p->interned[i] == name)
			return &elems[i];
	for (i = group_start[parent]; i < group_end[parent]; i++)
		if (strcmp(elems[i].name, name) == 0)
			return &elems[i];
	return NULL;
}

static void
report_begin(struct parser *p)
{
	const char	*ns;
	size_t		 n;

	p->in_report = 1;
	p->report++;
	p->events = 0;
	p->h.gen++;
	pool_reset(&p->h.pool, (size_t)p->lim->record_bytes);
	vals_clear(p->h.f, H_NFIELDS);
	p->h.nerr = 0;
	p->h.ns.off = -1;
	p->rec.index = 0;
	ns = (const char *)xmlTextReaderConstNamespaceUri(p->r);
	if (ns == NULL || strcmp(ns, "http://dmarc.org/dmarc-xml/0.1") == 0)
		p->h.schema = SCHEMA_RFC7489;
	else if (strcmp(ns, "urn:ietf:params:xml:ns:dmarc-2.0") == 0)
		p->h.schema = SCHEMA_RFC9990;
	else
		p->h.schema = SCHEMA_UNKNOWN;
	if (ns != NULL && (n = strlen(ns)) > 0 &&
	    pool_add(&p->h.pool, ns, n, &p->h.ns) == -1)
		refuse(p, "namespace name over the record_bytes limit");
	if (p->sink->begin(p->sink->arg, p->report) == -1)
		p->stop = 1;
}

static void
record_begin(struct parser *p)
{
	pool_reset(&p->rec.pool, (size_t)p->lim->record_bytes);
	vals_clear(p->rec.f, R_NFIELDS);
	p->rec.ndkim = p->rec.nspf = p->rec.nreason = 0;
	p->rec.index++;
	p->have_row = 0;
}

/* A new <dkim>, <spf>, <reason> or <error>; 0, or -1 over the limit. */
static int
entry_begin(struct parser *p, enum ctx c)
{
	struct record	*r = &p->rec;
	long long	 max = p->lim->record_items;
	void		*e;

	if (c == X_DKIM)
		e = entry_add((void **)&r->dkim, &r->ndkim, &r->cdkim,
		    sizeof(*r->dkim), 6, max);
	else if (c == X_SPF)
		e = entry_add((void **)&r->spf, &r->nspf, &r->cspf,
		    sizeof(*r->spf), 6, max);
	else if (c == X_REASON)
		e = entry_add((void **)&r->reason, &r->nreason, &r->creason,
		    sizeof(*r->reason), 3, max);
	else {
		e = entry_add((void **)&p->h.err, &p->h.nerr, &p->h.cerr,
		    sizeof(*p->h.err), 2, max);
		p->h.gen++;
	}
	if (e == NULL) {
		refuse(p, "more than %lld <%s> entries (record_items limit)",
		    max, c == X_DKIM ? "dkim" : c == X_SPF ? "spf" :
		    c == X_REASON ? "reason" : "error");
		return -1;
	}
	return 0;
}

/* Point the leaf's value (and lang) at the slot it fills. */
static void
leaf_target(struct parser *p, const struct elem *e)
{
	struct authres	*a = NULL;
	struct reason	*n;
	struct error_item *err;

	p->leaf_pool = &p->rec.pool;
	p->leaf_lang = NULL;
	switch (e->kind) {
	case K_HDR:
		p->leaf_pool = &p->h.pool;
		p->leaf_val = &p->h.f[e->field];
		if (e->lang_field >= 0)
			p->leaf_lang = &p->h.f[e->lang_field];
		return;
	case K_ERROR:
		p->leaf_pool = &p->h.pool;
		err = &p->h.err[p->h.nerr - 1];
		p->leaf_val = &err->text;
		p->leaf_lang = &err->lang;
		return;
	case K_REC:
		p->leaf_val = &p->rec.f[e->field];
		return;
	case K_REASON:
		n = &p->rec.reason[p->rec.nreason - 1];
		p->leaf_val = e->field == N_TYPE ? &n->type : &n->comment;
		if (e->field == N_COMMENT)
			p->leaf_lang = &n->comment_lang;
		return;
	case K_DKIM:
		a = &p->rec.dkim[p->rec.ndkim - 1];
		break;
	case K_SPF:
		a = &p->rec.spf[p->rec.nspf - 1];
		break;
	}
	switch (e->field) {
	case A_DOMAIN:
		p->leaf_val = &a->domain;
		break;
	case A_SELECTOR:
		p->leaf_val = &a->selector;
		break;
	case A_SCOPE:
		p->leaf_val = &a->scope;
		break;
	case A_RESULT:
		p->leaf_val = &a->result;
		break;
	default:
		p->leaf_val = &a->human;
		p->leaf_lang = &a->human_lang;
		break;
	}
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Store a value, trimmed of surrounding white space; first one wins. */
static void
store(struct parser *p, struct pool *pool, struct val *v, const char *s,
    size_t n)
{
	if (v->off != -1)
		return;
	if (pool == &p->h.pool)
		p->h.gen++;
	while (n > 0 && is_space((unsigned char)*s))
		s++, n--;
	while (n > 0 && is_space((unsigned char)s[n - 1]))
		n--;
	if (pool_add(pool, s, n, v) == -1)
		refuse(p, "values of one record over %lld bytes "
		    "(record_bytes limit)", p->lim->record_bytes);
}

static void
leaf_begin(struct parser *p, const struct elem *e)
{
	xmlChar	*lang;

	p->leaf = e;
	p->ntext = 0;
	leaf_target(p, e);
	if (p->leaf_lang == NULL)
		return;
	lang = xmlTextReaderGetAttribute(p->r, (const xmlChar *)"lang");
	if (lang != NULL) {
		store(p, p->leaf_pool, p->leaf_lang, (const char *)lang,
		    strlen((const char *)lang));
		xmlFree(lang);
	}
}

static void
leaf_text(struct parser *p, const char *s)
{
	size_t	n = strlen(s);

	if ((long long)n > p->lim->xml_text - (long long)p->ntext) {
		refuse(p, "text of <%s> over %lld bytes (xml_text limit)",
		    p->leaf->name, p->lim->xml_text);
		return;
	}
	memcpy(p->text + p->ntext, s, n);
	p->ntext += n;
}

static void
leaf_end(struct parser *p)
{
	store(p, p->leaf_pool, p->leaf_val, p->text, p->ntext);
	p->leaf = NULL;
}

static void
element_end(struct parser *p, enum ctx c)
{
	long long	n;

	switch (c) {
	case X_LEAF:
		leaf_end(p);
		break;
	case X_RECORD:
		if ((n = p->sink->record(p->sink->arg, &p->h, &p->rec)) == -1)
			p->stop = 1;
		else if ((p->events += (unsigned long long)n) /
		    (unsigned long long)p->lim->event_ratio > p->src->doc_bytes)
			/*
			 * Each event repeats the report's header: a header
			 * of a megabyte over a thousand records of a hundred
			 * bytes each would give a gigabyte.  The bytes read
			 * run a little ahead of the record: never too strict.
			 */
			refuse(p, "events over %lld times the report's size "
			    "(event_ratio limit)", p->lim->event_ratio);
		break;
	case X_FEEDBACK:
		p->in_report = 0;
		p->complete++;
		if (p->sink->end(p->sink->arg, p->report, NULL) == -1)
			p->stop = 1;
		break;
	default:
		break;
	}
}

static void
element_begin(struct parser *p, int depth, xmlNodePtr node)
{
	const struct elem	*e = NULL;
	const char		*name;
	enum ctx		 parent, c;

	if (depth + 1 > p->lim->xml_depth) {
		refuse(p, "elements nested deeper than %lld (xml_depth limit)",
		    p->lim->xml_depth);
		return;
	}
	parent = depth == 0 ? X_OUT : p->stack[depth - 1];
	name = (const char *)xmlTextReaderConstLocalName(p->r);
	if (name == NULL)
		name = "";
	if (depth == 0)
		(void)snprintf(p->root, sizeof(p->root), "%s", name);
	if (parent == X_OUT) {
		c = X_OUT;
		if (strcmp(name, "feedback") == 0) {
			c = X_FEEDBACK;
			report_begin(p);
		}
	} else if (parent == X_LEAF || parent == X_SKIP ||
	    (e = lookup(p, parent, name)) == NULL)
		c = X_SKIP;
	else
		c = e->ctx;

	switch (c) {
	case X_META:
	case X_POLICY:
		if (p->rec.index > 0) {
			refuse(p, "<%s> after the first <record>: the header "
			    "must come before the records", name);
			return;
		}
		break;
	case X_RECORD:
		record_begin(p);
		break;
	case X_ROW:
		if (p->have_row) {
			log_warnx("%s: record %lu: second <row> ignored",
			    p->name, p->rec.index);
			c = X_SKIP;
		}
		p->have_row = 1;
		break;
	case X_DKIM:
	case X_SPF:
	case X_REASON:
		if (entry_begin(p, c) == -1)
			return;
		break;
	case X_LEAF:
		if (e->kind == K_ERROR && entry_begin(p, X_OUT) == -1)
			return;
		leaf_begin(p, e);
		break;
	default:
		break;
	}
	p->stack[depth] = c;
	if (xmlTextReaderIsEmptyElement(p->r))
		element_end(p, c);
	else
		p->open[depth] = node;
}

/* Read one document; the reasons for a refusal end up in p->why. */
static void
parse_doc(struct parser *p)
{
	xmlNodePtr	 node;
	size_t		 i;
	int		 rc, type, depth, line;
	const char	*v;

	p->why[0] = p->xmlerr[0] = p->root[0] = '\0';
	p->xmlerr_line = 0;
	memset(p->open, 0, (size_t)p->lim->xml_depth * sizeof(*p->open));
	p->r = xmlReaderForIO(src_read, NULL, p->src, NULL,
	    src_encoding(p->src), XML_PARSE_NONET | XML_PARSE_NOCDATA |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES);
	if (p->r == NULL) {
		refuse(p, "can't start the XML parser");
		return;
	}
	xmlTextReaderSetStructuredErrorHandler(p->r, xml_error, p);
	for (i = 0; i < NELEMS; i++)
		p->interned[i] = (const char *)xmlTextReaderConstString(p->r,
		    (const xmlChar *)elems[i].name);
	while (p->why[0] == '\0' && !p->stop &&
	    (rc = xmlTextReaderRead(p->r)) == 1) {
		/*
		 * Text and elements are nearly all we see, and the node
		 * tells them apart cheaper than xmlTextReaderNodeType():
		 * all text is handled alike, and an element is at its end
		 * when it is the one still open at its depth (its node
		 * lives until then, so no other can have its address).
		 */
		node = xmlTextReaderCurrentNode(p->r);
		depth = xmlTextReaderDepth(p->r);
		if (node != NULL && (node->type == XML_TEXT_NODE ||
		    node->type == XML_CDATA_SECTION_NODE))
			type = XML_READER_TYPE_TEXT;
		else if (node != NULL && node->type == XML_ELEMENT_NODE &&
		    depth >= 0 && depth < p->lim->xml_depth)
			type = p->open[depth] == node ?
			    XML_READER_TYPE_END_ELEMENT :
			    XML_READER_TYPE_ELEMENT;
		else
			type = xmlTextReaderNodeType(p->r);
		switch (type) {
		case XML_READER_TYPE_ELEMENT:
			element_begin(p, depth, node);
			break;
		case XML_READER_TYPE_END_ELEMENT:
			if (depth < p->lim->xml_depth) {
				p->open[depth] = NULL;
				element_end(p, p->stack[depth]);
			}
			break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA:
		case XML_READER_TYPE_WHITESPACE:
		case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
			if (depth > 0 && p->stack[depth - 1] == X_LEAF &&
			    (v = (const char *)xmlTextReaderConstValue(p->r)) !=
			    NULL)
				leaf_text(p, v);
			break;
		case XML_READER_TYPE_DOCUMENT_TYPE:
		case XML_READER_TYPE_ENTITY_REFERENCE:
			/* the gate refuses these first; never rely on it */
			refuse(p, "document type declarations and entities "
			    "are not allowed");
			break;
		default:
			break;
		}
	}
	/* the parser's line: exact at the end, close to it on an error */
	line = xmlTextReaderGetParserLineNumber(p->r);
	if (line > 0 && (unsigned long)line - 1 > p->src->doc_lines)
		p->src->doc_lines = (unsigned long)line - 1;
	if (p->why[0] == '\0' && !p->stop && rc == -1) {
		if (p->src->read_errno == 0 && p->src->refused != NULL)
			(void)snprintf(p->why, sizeof(p->why), "line %lu: %s",
			    p->src->lines + p->src->xs.skipped_lines +
			    p->src->doc_lines + p->src->refused_line + 1,
			    p->src->refused);
		else if (p->src->read_errno == 0)
			(void)snprintf(p->why, sizeof(p->why), "line %lu: %s%s",
			    p->src->lines + p->src->xs.skipped_lines +
			    (unsigned long)p->xmlerr_line, p->src->doc_cut ?
			    "the input ends inside the document (cut short?): " :
			    "", p->xmlerr[0] ? p->xmlerr : "not well-formed XML");
	}
	xmlFreeTextReader(p->r);
	p->r = NULL;
}

/* Drain what is left of a refused document, up to where it ends. */
static void
skip_doc(struct src *s)
{
	char	scratch[4096];
	int	n;

	while (!s->doc_done && s->refused == NULL &&
	    (n = src_read(s, scratch, sizeof(scratch))) > 0)
		if (s->rooted)	/* else src_read() counted them */
			s->doc_lines += count_lines((unsigned char *)scratch,
			    (size_t)n);
}

enum parse_result
parse_input(int fd, const char *name, const struct limits *lim,
    struct sink *sink)
{
	struct parser		 p;
	struct src		*s;
	enum parse_result	 res = PARSE_OK;
	unsigned long		 docs = 0, before;
	int			 more = 0;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.lim = lim;
	p.sink = sink;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (p.stack = calloc((size_t)lim->xml_depth, sizeof(*p.stack))) ==
	    NULL || (p.open = calloc((size_t)lim->xml_depth,
	    sizeof(*p.open))) == NULL || (p.text = malloc((size_t)lim->xml_text)) == NULL) {
		res = PARSE_READ;
		goto out;
	}
	s->fd = fd;
	s->max_attrs = lim->xml_attributes;
	p.src = s;
	xs_init(&s->xs);
	while (s->refused == NULL && (more = src_next(s)) == 1) {
		docs++;
		before = p.complete;
		parse_doc(&p);
		if (p.stop) {
			res = PARSE_STOP;
			goto out;
		}
		if (s->read_errno != 0) {
			errno = s->read_errno;
			res = PARSE_READ;
			goto out;
		}
		if (p.why[0] != '\0' && !p.in_report && p.complete > before) {
			/* a report ended well; what follows is a wrapper's */
			log_warnx("%s: %s (after the report: ignored)", name,
			    p.why);
		} else if (p.why[0] != '\0') {
			if (!p.in_report)	/* failed before <feedback> */
				p.report++;
			p.in_report = 0;
			p.bad = 1;
			if (sink->end(sink->arg, p.report, p.why) == -1) {
				res = PARSE_STOP;
				goto out;
			}
		} else if (p.complete == before) {
			p.report++;
			p.bad = 1;
			(void)snprintf(p.why, sizeof(p.why), "not a DMARC "
			    "aggregate report: root element <%s> holds no "
			    "<feedback>", p.root);
			if (sink->end(sink->arg, p.report, p.why) == -1) {
				res = PARSE_STOP;
				goto out;
			}
		}
		skip_doc(s);
		if (s->read_errno != 0) {
			errno = s->read_errno;
			res = PARSE_READ;
			goto out;
		}
	}
	if (more == -1) {
		errno = s->read_errno;
		res = PARSE_READ;
	} else if (docs == 0) {
		p.bad = 1;
		if (sink->end(sink->arg, 1, "empty input: no report") == -1)
			res = PARSE_STOP;
	}
	if (res == PARSE_OK && p.bad)
		res = PARSE_BAD;
out:
	free(p.h.pool.buf);
	free(p.h.err);
	free(p.rec.pool.buf);
	free(p.rec.dkim);
	free(p.rec.spf);
	free(p.rec.reason);
	free(p.text);
	free(p.stack);
	free(p.open);
	free(s);
	return res;
}
