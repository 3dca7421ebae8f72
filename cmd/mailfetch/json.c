#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct parser {
	struct json	*j;
	char		*p, *end, *start;
	char		*why;
	size_t		 whylen;
	int		 depth;
};

static int	value(struct parser *, size_t *, const char *);

static int
fail(struct parser *ps, const char *what)
{
	(void)snprintf(ps->why, ps->whylen, "not JSON at byte %zu: %s",
	    (size_t)(ps->p - ps->start), what);
	return -1;
}

static void
ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' ||
	    *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int
node(struct parser *ps, enum json_type t, const char *key, size_t *ip)
{
	struct json		*j = ps->j;
	struct json_node	*nn;
	size_t			 ncap;

	if (j->nn == j->cap) {
		if (j->nn == JSON_NODES_MAX)
			return fail(ps, "too many values");
		ncap = j->cap ? j->cap * 2 : 64;
		if ((nn = reallocarray(j->n, ncap, sizeof(*nn))) == NULL)
			return fail(ps, "out of memory");
		j->n = nn;
		j->cap = ncap;
	}
	memset(&j->n[j->nn], 0, sizeof(j->n[0]));
	j->n[j->nn].type = t;
	j->n[j->nn].key = key;
	*ip = j->nn++;
	return 0;
}

static int
hex4(const char *s, unsigned *v)
{
	int	i, c;

	*v = 0;
	for (i = 0; i < 4; i++) {
		c = s[i];
		*v <<= 4;
		if (c >= '0' && c <= '9')
			*v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			*v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			*v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	return 0;
}

static char *
put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80)
		*o++ = (char)cp;
	else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*o++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/*
 * The string at p (after its quote), decoded in place; *s and *len say
 * where, NUL-terminated.  A \u escape of six bytes becomes at most four,
 * a pair of twelve at most four: the output never passes the input.
 */
static int
string(struct parser *ps, const char **s, size_t *len)
{
	char		*o = ps->p;
	unsigned	 cp, lo;
	unsigned char	 c;

	*s = o;
	for (;;) {
		if (ps->p >= ps->end)
			return fail(ps, "a string without its end");
		c = (unsigned char)*ps->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(ps, "a control character in a string");
		if (c != '\\') {
			*o++ = *ps->p++;
			continue;
		}
		if (ps->end - ps->p < 2)
			return fail(ps, "a string without its end");
		c = (unsigned char)ps->p[1];
		ps->p += 2;
		switch (c) {
		case '"': case '\\': case '/':
			*o++ = (char)c;
			continue;
		case 'b': *o++ = '\b'; continue;
		case 'f': *o++ = '\f'; continue;
		case 'n': *o++ = '\n'; continue;
		case 'r': *o++ = '\r'; continue;
		case 't': *o++ = '\t'; continue;
		case 'u':
			break;
		default:
			return fail(ps, "a bad escape");
		}
		if (ps->end - ps->p < 4 || hex4(ps->p, &cp) == -1)
			return fail(ps, "a bad \\u escape");
		ps->p += 4;
		if (cp >= 0xd800 && cp < 0xdc00) {
			if (ps->end - ps->p < 6 || ps->p[0] != '\\' ||
			    ps->p[1] != 'u' || hex4(ps->p + 2, &lo) == -1 ||
			    lo < 0xdc00 || lo > 0xdfff)
				return fail(ps, "half a surrogate pair");
			ps->p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		} else if (cp >= 0xdc00 && cp < 0xe000)
			return fail(ps, "half a surrogate pair");
		o = put_utf8(o, cp);
	}
	ps->p++;		/* the closing quote */
	*len = (size_t)(o - *s);
	*o = '\0';		/* at most where that quote was */
	return 0;
}

static int
number(struct parser *ps, const char **s, size_t *len)
{
	char	*q = ps->p;

	if (q < ps->end && *q == '-')
		q++;
	if (q >= ps->end || *q < '0' || *q > '9')
		return fail(ps, "not a value");
	if (*q == '0')
		q++;
	else
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	if (q < ps->end && *q == '.') {
		if (++q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, "a bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, "a bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	*s = ps->p;
	*len = (size_t)(q - ps->p);
	ps->p = q;
	return 0;
}

static int
word(struct parser *ps, const char *w)
{
	size_t	n = strlen(w);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n) != 0)
		return fail(ps, "not a value");
	ps->p += n;
	return 0;
}

/* The members or elements of a container at node i, up to `close`. */
static int
container(struct parser *ps, size_t i, int object)
{
	const char	*key = NULL;
	size_t		 kl, c, last = 0;

	if (++ps->depth > JSON_DEPTH_MAX)
		return fail(ps, "nested too deep");
	ws(ps);
	if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
		ps->p++;
		ps->depth--;
		return 0;
	}
	for (;;) {
		ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail(ps, "a member without a name");
			ps->p++;
			if (string(ps, &key, &kl) == -1)
				return -1;
			ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				return fail(ps, "a name without ':'");
			ps->p++;
		}
		if (value(ps, &c, key) == -1)
			return -1;
		if (last == 0)
			ps->j->n[i].child = c;
		else
			ps->j->n[last].next = c;
		last = c;
		ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
			ps->p++;
			ps->depth--;
			return 0;
		}
		return fail(ps, object ? "no ',' or '}'" : "no ',' or ']'");
	}
}

static int
value(struct parser *ps, size_t *ip, const char *key)
{
	struct json_node	*n;
	size_t			 i;
	char			 c;

	ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "the end, where a value was due");
	c = *ps->p;
	switch (c) {
	case '{':
	case '[':
		if (node(ps, c == '{' ? JSON_OBJECT : JSON_ARRAY, key, &i) ==
		    -1)
			return -1;
		ps->p++;
		if (container(ps, i, c == '{') == -1)
			return -1;
		break;
	case '"':
		if (node(ps, JSON_STRING, key, &i) == -1)
			return -1;
		ps->p++;
		n = &ps->j->n[i];
		if (string(ps, &n->s, &n->len) == -1)
			return -1;
		break;
	case 't':
	case 'f':
	case 'n':
		if (node(ps, c == 't' ? JSON_TRUE : c == 'f' ? JSON_FALSE :
		    JSON_NULL, key, &i) == -1 || word(ps, c == 't' ? "true" :
		    c == 'f' ? "false" : "null") == -1)
			return -1;
		break;
	default:
		if (node(ps, JSON_NUMBER, key, &i) == -1)
			return -1;
		n = &ps->j->n[i];
		if (number(ps, &n->s, &n->len) == -1)
			return -1;
		break;
	}
	*ip = i;
	return 0;
}

int
json_parse(struct json *j, const char *p, size_t len, char *why,
    size_t whylen)
{
	struct parser	ps;
	size_t		root;

	memset(j, 0, sizeof(*j));
	if ((j->text = malloc(len + 1)) == NULL) {
		(void)snprintf(why, whylen, "out of memory");
		return -1;
	}
	if (len > 0)		/* an empty answer may come as NULL */
		memcpy(j->text, p, len);
	j->text[len] = '\0';
	memset(&ps, 0, sizeof(ps));
	ps.j = j;
	ps.p = ps.start = j->text;
	ps.end = j->text + len;
	ps.why = why;
	ps.whylen = whylen;
	if (value(&ps, &root, NULL) == -1)
		return -1;
	ws(&ps);
	if (ps.p != ps.end)
		return fail(&ps, "more after the value");
	return 0;
}

void
json_free(struct json *j)
{
	free(j->text);
	free(j->n);
	memset(j, 0, sizeof(*j));
}

const struct json_node *
json_root(const struct json *j)
{
	return j->nn > 0 ? &j->n[0] : NULL;
}

const struct json_node *
json_first(const struct json *j, const struct json_node *n)
{
	if (n == NULL || (n->type != JSON_ARRAY && n->type != JSON_OBJECT) ||
	    n->child == 0)
		return NULL;
	return &j->n[n->child];
}

const struct json_node *
json_next(const struct json *j, const struct json_node *n)
{
	return n != NULL && n->next != 0 ? &j->n[n->next] : NULL;
}

const struct json_node *
json_get(const struct json *j, const struct json_node *obj, const char *key)
{
	const struct json_node	*m;

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (m = json_first(j, obj); m != NULL; m = json_next(j, m))
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

const char *
json_str(const struct json *j, const struct json_node *obj, const char *key)
{
	const struct json_node	*m = json_get(j, obj, key);

	return m != NULL && m->type == JSON_STRING ? m->s : NULL;
}
