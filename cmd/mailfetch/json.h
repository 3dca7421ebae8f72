/*
 * A small JSON reader (RFC 8259) for the Graph API's answers: the whole
 * text is parsed into a tree of nodes held in one array, strings are
 * decoded in place (escapes, surrogate pairs, to UTF-8), and everything
 * is bounded: the nesting, the number of nodes, the input's size.  The
 * input is the server's, so anything that is not JSON is an error, said.
 */
#ifndef MAILFETCH_JSON_H
#define MAILFETCH_JSON_H

#include <stddef.h>

#define JSON_DEPTH_MAX	64
#define JSON_NODES_MAX	(1024 * 1024)

enum json_type {
	JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING,
	JSON_ARRAY, JSON_OBJECT
};

struct json_node {
	enum json_type	 type;
	const char	*s;		/* STRING: decoded, NUL-terminated;
					   NUMBER: its text, len bytes,
					   not terminated */
	size_t		 len;		/* STRING: bytes (may hold NULs) */
	const char	*key;		/* a member's name, else NULL */
	size_t		 next;		/* the next sibling, or 0 */
	size_t		 child;		/* ARRAY, OBJECT: the first, or 0 */
};

struct json {
	char		 *text;		/* our copy, decoded into */
	struct json_node *n;		/* n[0] is the root */
	size_t		  nn, cap;
};

/*
 * Parse len bytes at p (p may be NULL when len is 0).  Returns 0, or -1
 * with a reason (and the byte offset) in why[].  json_free() in either
 * case.
 */
int		 json_parse(struct json *, const char *p, size_t len,
		    char *why, size_t whylen);
void		 json_free(struct json *);

const struct json_node *json_root(const struct json *);
/* The member `key` of an object, or NULL. */
const struct json_node *json_get(const struct json *,
		    const struct json_node *, const char *key);
/* The first element or member, and the one after; NULL at the end. */
const struct json_node *json_first(const struct json *,
		    const struct json_node *);
const struct json_node *json_next(const struct json *,
		    const struct json_node *);
/* The member `key` if it is a string, else NULL. */
const char	*json_str(const struct json *, const struct json_node *,
		    const char *key);

#endif
