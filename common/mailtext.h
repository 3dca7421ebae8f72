/*
 * The text of mail, decoded: base64, quoted-printable, byte escapes,
 * RFC 2047 encoded words and a few charsets, into UTF-8.  Everything
 * writes into caller-owned buffers of fixed size.
 */
#ifndef DP_MAILTEXT_H
#define DP_MAILTEXT_H

#include <stddef.h>
#include <string.h>

/* Bytes appended up to a fixed capacity; the rest is dropped. */
struct text {
	unsigned char	*p;
	size_t		 len, cap;
};

static inline int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* White space in an unfolded header value: '\n' marks a fold. */
static inline int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 token characters; '*' among them, for RFC 2231 names. */
static inline int
is_tchar(int c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static inline int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static inline int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

void	text_add(struct text *, const void *, size_t);
void	text_addc(struct text *, int);

/*
 * Length of the well-formed UTF-8 sequence at p (n > 0 bytes left), or 0
 * if there is none.
 */
size_t	utf8_len(const unsigned char *p, size_t n);

/*
 * The n bytes at p as safe to show in a message, NUL-terminated in out
 * (size bytes): control characters (C0, DEL, C1, and the bidirectional
 * overrides that can reorder what a terminal shows) as '_', bytes that
 * are not UTF-8 as '?', cut at a character boundary.
 */
void	text_shown(const unsigned char *p, size_t n, char *out, size_t size);

/* base64 and quoted-printable as mailers write them; out needs n bytes. */
size_t	b64_decode(const unsigned char *in, size_t n, unsigned char *out);
size_t	qp_decode(const unsigned char *in, size_t n, unsigned char *out);

/*
 * s with "<esc>XX" as the byte XX (and '_' as a space with underscore):
 * '%' for RFC 2231, '=' and underscore for RFC 2047's "Q".
 */
void	escapes_add(struct text *, const char *s, size_t n, char esc,
	    int underscore);

/* The n bytes at p, in the charset named cs (cslen bytes), as UTF-8. */
void	charset_add(struct text *, const char *cs, size_t cslen,
	    const unsigned char *p, size_t n);

/*
 * The n bytes at p with their RFC 2047 encoded words decoded, as UTF-8;
 * white space between two encoded words is dropped (RFC 2047 6.2).
 */
void	words_add(struct text *, const char *p, size_t n);

#endif
