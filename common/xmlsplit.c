/*
 * The lexer runs on code units, so UTF-16 works the same way as UTF-8:
 * every character it cares about is ASCII.  In 8-bit input, runs of
 * bytes that cannot change the state (text between tags, names and
 * attributes inside tags, comment bodies) are skipped with memchr(3) or
 * a tight loop, and step() sees only the few bytes that matter; that
 * keeps the cost per byte well below the parser's.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "xmlsplit.h"

enum {
	S_START,	/* before the document: detect the encoding */
	S_TEXT,		/* character data, or the prolog */
	S_LT,		/* after '<' */
	S_PI,		/* <? ... ?> */
	S_BANG,		/* after "<!" */
	S_COMMENT,	/* <!-- ... --> */
	S_CDATA,	/* <![CDATA[ ... ]]> */
	S_DECL,		/* another <!...>: the parser will refuse it */
	S_STAG,		/* start or empty-element tag */
	S_ETAG,		/* end tag */
	S_AFTER,	/* after the root: white space, comments, PIs */
};

void
xs_init(struct xmlsplit *xs)
{
	memset(xs, 0, sizeof(*xs));
	xs->state = S_START;
	xs->unit = 1;
}

/* Is "<!" followed by bang[] the start of `word`? */
static int
bang_prefix(const struct xmlsplit *xs, const char *word)
{
	return strncmp(xs->bang, word, (size_t)xs->nbang) == 0;
}

/*
 * One code unit.  Returns 1 when it closes the root element, -1 on a
 * refusal, 0 otherwise.
 */
static int
step(struct xmlsplit *xs, unsigned c)
{
	int	rc = 0;

	switch (xs->state) {
	case S_TEXT:
		if (c == '<')
			xs->state = S_LT;
		break;
	case S_LT:
		if (c == '?')
			xs->state = S_PI;
		else if (c == '!') {
			xs->state = S_BANG;
			xs->nbang = 0;
		} else if (c == '/')
			xs->state = S_ETAG;
		else {
			xs->state = S_STAG;
			xs->quote = 0;
			xs->nattrs = 0;
		}
		/* "<?>" and "<!-->" must not close on their own bytes */
		xs->prev1 = xs->prev2 = 0;
		return 0;
	case S_PI:
		if (c == '>' && xs->prev1 == '?')
			xs->state = xs->after ? S_AFTER : S_TEXT;
		break;
	case S_BANG:
		xs->bang[xs->nbang++] = c < 0x80 ? (char)c : '\1';
		if (bang_prefix(xs, "DOCTYPE")) {
			if (xs->nbang == 7) {
				xs->error = "a document type declaration "
				    "(DOCTYPE) is not allowed in a report";
				return -1;
			}
		} else if (bang_prefix(xs, "--")) {
			if (xs->nbang == 2) {
				xs->state = S_COMMENT;
				xs->prev1 = xs->prev2 = 0;
				return 0;
			}
		} else if (bang_prefix(xs, "[CDATA[")) {
			if (xs->nbang == 7)
				xs->state = S_CDATA;
		} else
			xs->state = c == '>' ? S_TEXT : S_DECL;
		break;
	case S_COMMENT:
		if (c == '>' && xs->prev1 == '-' && xs->prev2 == '-')
			xs->state = xs->after ? S_AFTER : S_TEXT;
		break;
	case S_CDATA:
		if (c == '>' && xs->prev1 == ']' && xs->prev2 == ']')
			xs->state = S_TEXT;
		break;
	case S_DECL:
		if (c == '>')
			xs->state = S_TEXT;
		break;
	case S_STAG:
		if (xs->quote != 0) {
			if (c == xs->quote)
				xs->quote = 0;
		} else if (c == '"' || c == '\'') {
			xs->quote = c;
			/*
			 * Each attribute opens one quote.  libxml2 looks for
			 * a duplicate by comparing each attribute with every
			 * other: 200000 of them take minutes.
			 */
			if (xs->max_attrs > 0 && ++xs->nattrs > xs->max_attrs) {
				(void)snprintf(xs->errbuf, sizeof(xs->errbuf),
				    "an element with more than %lld attributes "
				    "(xml_attributes limit)", xs->max_attrs);
				xs->error = xs->errbuf;
				return -1;
			}
		} else if (c == '>') {
			xs->state = S_TEXT;
			if (xs->prev1 != '/')
				xs->depth++;
			else if (xs->depth == 0)
				rc = 1;
		}
		break;
	case S_ETAG:
		if (c == '>') {
			xs->state = S_TEXT;
			if (--xs->depth <= 0)
				rc = 1;
		}
		break;
	}
	xs->prev2 = xs->prev1;
	xs->prev1 = c;
	return rc;
}

/*
 * At the start: drop white space and a UTF-8 byte order mark, then tell
 * the encoding family from the first four bytes (XML 1.0 appendix F).
 * Returns XS_MORE when the encoding is known (state S_TEXT).
 */
size_t
xs_space(const unsigned char *p, size_t len, unsigned long *lines)
{
	size_t	i = 0;

	for (;;) {
		if (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
		    p[i] == '\n')) {
			if (p[i] == '\n')
				(*lines)++;
			i++;
		} else if (len - i >= 3 && p[i] == 0xef && p[i + 1] == 0xbb &&
		    p[i + 2] == 0xbf)
			i += 3;
		else
			return i;
	}
}

/*
 * How many of the `len` bytes at `p` step() would pass over in the
 * current state, changing nothing but prev1 and prev2.  (Text is
 * tags_run()'s, which leaves off at a '<'.)
 */
static size_t
skip_run(const struct xmlsplit *xs, const unsigned char *p, size_t len)
{
	const unsigned char	*q;
	size_t			 i;

	switch (xs->state) {
	case S_STAG:
		if (xs->quote != 0) {
			q = memchr(p, (int)xs->quote, len);
			break;
		}
		for (i = 0; i < len; i++)
			if (p[i] == '>' || p[i] == '"' || p[i] == '\'')
				return i;
		return len;
	case S_PI:
	case S_COMMENT:
	case S_CDATA:
	case S_DECL:
	case S_ETAG:
		q = memchr(p, '>', len);
		break;
	default:
		return 0;
	}
	return q == NULL ? len : (size_t)(q - p);
}

/* Does the word hold a byte equal to the one repeated in `b`? */
#define HAS(x, b)	((((x) ^ (b)) - ONES) & ~((x) ^ (b)) & HIGHS)
#define ONES		0x0101010101010101ULL
#define HIGHS		0x8080808080808080ULL

/*
 * The first of bytes a, b, c in p[i..len), or len.  Eight bytes at a
 * time: the runs between the bytes that matter are short, too short for
 * memchr(3) to pay for its call, and long enough for a byte loop to
 * cost more than the parser.
 */
static inline size_t
find(const unsigned char *p, size_t i, size_t len, unsigned char a,
    unsigned char b, unsigned char c)
{
	uint64_t	w, wa = ONES * a, wb = ONES * b, wc = ONES * c;

	for (; len - i >= 8; i += 8) {
		memcpy(&w, p + i, 8);
		if ((HAS(w, wa) | HAS(w, wb) | HAS(w, wc)) != 0)
			break;
	}
	for (; i < len; i++)
		if (p[i] == a || p[i] == b || p[i] == c)
			break;
	return i;
}

/*
 * The common path through 8-bit text: text, then start or end tags
 * without quotes, which is nearly all of a report.  Called in S_TEXT,
 * it moves *ip past whole tags and stops at a '<' it leaves to step():
 * a comment, PI, CDATA section or declaration, a quote in the tag, or a
 * tag cut by the end of the buffer.  As in step(), the byte after '<'
 * is taken without a look.  Returns 1 when a tag closed the document.
 */
static int
tags_run(struct xmlsplit *xs, const unsigned char *p, size_t len, size_t *ip)
{
	size_t	i = *ip, j, k;
	int	rc = 0;

	while (i < len) {
		if ((i = find(p, i, len, '<', '<', '<')) == len)
			break;
		j = i + 1;
		if (j == len || p[j] == '?' || p[j] == '!')
			break;
		if (p[j] == '/')
			k = find(p, j + 1, len, '>', '>', '>');
		else
			k = find(p, j + 1, len, '>', '"', '\'');
		if (k == len || p[k] != '>')
			break;
		i = k + 1;
		if (p[j] == '/') {
			if (--xs->depth <= 0) {
				rc = 1;
				break;
			}
		} else if (p[k - 1] != '/')
			xs->depth++;
		else if (xs->depth == 0) {
			rc = 1;
			break;
		}
	}
	*ip = i;
	return rc;
}

/* The code unit at byte i (the caller checked that it is all there). */
static unsigned
unit_at(const struct xmlsplit *xs, const unsigned char *p, size_t i)
{
	if (xs->unit == 1)
		return p[i];
	return xs->big ? (unsigned)p[i] << 8 | p[i + 1] :
	    (unsigned)p[i + 1] << 8 | p[i];
}

/*
 * After the root element, XML allows white space, comments and
 * processing instructions; they belong to the document.  Anything else
 * (an XML declaration, another element, a byte order mark, text) starts
 * what comes next.  Moves *ip past what belongs to the document and
 * returns 1 when the document ends at *ip, 0 when a comment or PI begins
 * (its state set), or -1 when more bytes are needed to tell.
 */
static int
after(struct xmlsplit *xs, const unsigned char *p, size_t len, int eof,
    size_t *ip)
{
	static const char	 xml[] = "<?xml";
	size_t			 i = *ip, u = (size_t)xs->unit, k;
	unsigned		 c;

	for (; len - i >= u; i += u) {
		c = unit_at(xs, p, i);
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c != '<')
			break;
		/* "<!--" or "<?" and a target that is not "xml" */
		if (len - i < 6 * u) {
			if (!eof) {
				*ip = i;
				return -1;
			}
			break;
		}
		if (unit_at(xs, p, i + u) == '!' &&
		    unit_at(xs, p, i + 2 * u) == '-' &&
		    unit_at(xs, p, i + 3 * u) == '-') {
			*ip = i + 4 * u;
			xs->state = S_COMMENT;
			xs->prev1 = xs->prev2 = 0;
			return 0;
		}
		for (k = 1; k < 5; k++)
			if (unit_at(xs, p, i + k * u) != (unsigned)xml[k])
				break;
		c = unit_at(xs, p, i + 5 * u);
		if (unit_at(xs, p, i + u) != '?' || (k == 5 && (c == ' ' ||
		    c == '\t' || c == '\r' || c == '\n' || c == '?')))
			break;
		*ip = i + 2 * u;
		xs->state = S_PI;
		xs->prev1 = xs->prev2 = 0;
		return 0;
	}
	*ip = i;
	return len - i < u && !eof ? -1 : 1;
}

/* The root element closed: what follows may still be the document's. */
static void
root_closed(struct xmlsplit *xs)
{
	xs->state = S_AFTER;
	xs->after = 1;
}

static enum xs_status
start(struct xmlsplit *xs, const unsigned char *p, size_t len, int eof,
    size_t *skip, size_t *take)
{
	size_t	i;

	i = xs_space(p, len, &xs->skipped_lines);
	*skip = i;
	*take = 0;
	p += i;
	len -= i;
	if (len < 4 && !eof)
		return XS_MORE;
	if (len == 0)
		return XS_EMPTY;
	if (len >= 4 && ((p[0] == 0 && p[1] == 0) ||
	    (p[0] == 0x3c && p[1] == 0 && p[2] == 0 && p[3] == 0) ||
	    (p[0] == 0xff && p[1] == 0xfe && p[2] == 0 && p[3] == 0))) {
		xs->error = "UTF-32 input is not supported";
		return XS_ERROR;
	}
	if (len >= 4 && p[0] == 0x4c && p[1] == 0x6f && p[2] == 0xa7 &&
	    p[3] == 0x94) {
		xs->error = "EBCDIC input is not supported";
		return XS_ERROR;
	}
	if (len >= 2 && ((p[0] == 0xff && p[1] == 0xfe) ||
	    (p[0] == 0xfe && p[1] == 0xff))) {
		/* UTF-16 with a byte order mark: the parser needs the mark */
		xs->unit = 2;
		xs->big = p[0] == 0xfe;
		*take = 2;
	} else if (len >= 2 && p[0] == 0x3c && p[1] == 0) {
		xs->unit = 2;
	} else if (len >= 2 && p[0] == 0 && p[1] == 0x3c) {
		xs->unit = 2;
		xs->big = 1;
	}
	xs->state = S_TEXT;
	return XS_MORE;
}

enum xs_status
xs_scan(struct xmlsplit *xs, const unsigned char *p, size_t len, int eof,
    size_t *skip, size_t *take)
{
	enum xs_status	 st;
	size_t		 i, n, off = 0;
	unsigned	 c;
	int		 rc;

	*skip = *take = 0;
	if (xs->error != NULL)
		return XS_ERROR;
	if (xs->state == S_START) {
		st = start(xs, p, len, eof, skip, take);
		if (st != XS_MORE || xs->state == S_START)
			return st;
		off = *skip + *take;
	}
	/* one call of step(), so that the compiler inlines it */
	for (i = off; len - i >= (size_t)xs->unit; ) {
		if (xs->state == S_AFTER) {
			rc = after(xs, p, len, eof, &i);
			if (rc == 1) {
				*take = i - *skip;
				return XS_END;
			}
			if (rc == -1)
				break;
			continue;
		}
		if (xs->unit == 1) {
			if (xs->state == S_TEXT && tags_run(xs, p, len, &i)) {
				root_closed(xs);
				continue;
			}
			if (i == len)
				break;
			if ((n = skip_run(xs, p + i, len - i)) > 0) {
				i += n;
				xs->prev2 = n >= 2 ? p[i - 2] : xs->prev1;
				xs->prev1 = p[i - 1];
				if (i == len)
					break;
			}
			c = p[i++];
		} else {
			c = unit_at(xs, p, i);
			i += 2;
		}
		rc = step(xs, c);
		if (rc == 1)
			root_closed(xs);
		else if (rc == -1) {
			*take = i - *skip;
			return XS_ERROR;
		}
	}
	*take = i - *skip;
	if (xs->state == S_AFTER && eof && len - i < (size_t)xs->unit)
		return XS_END;
	return XS_MORE;
}
