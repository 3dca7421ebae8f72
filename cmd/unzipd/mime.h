/*
 * The MIME walker: from a whole mail held in memory to its leaf parts,
 * decoded, one callback each.  Multiparts (any subtype) and embedded
 * messages (message/rfc822, message/global) are walked into; everything
 * else is a leaf.  The input is hostile: nesting and the number of parts
 * are bounded by the limits, each header is read from at most 8 KiB of
 * its value, and a leaf never costs more memory than its own size.
 */
#ifndef UNZIPD_MIME_H
#define UNZIPD_MIME_H

#include <stddef.h>

struct mime_limits {
	long long	depth;	/* nested multiparts and message/rfc822 */
	long long	parts;	/* parts in the whole message */
};

struct mime_part {
	const unsigned char	*body;	/* decoded bytes; valid during the
					   callback only */
	size_t			 len;
	const char		*type;	/* lower-cased "type/subtype",
					   "text/plain" if none */
	const char		*filename; /* decoded file name, or NULL */
	int			 depth;	/* 0 for a single-part message */
	unsigned		 index;	/* 1-based number of the leaf part
					   in walk order */
};

/*
 * Called for every leaf part; returns 0 to go on, -1 to stop the walk
 * (mime_walk() then returns -1 with why[] left empty).
 */
typedef int	(*mime_cb)(void *arg, const struct mime_part *);

/*
 * Walk the whole message at msg (headers and body, as delivered, LF or
 * CRLF line ends).  Every entity counts as a part against limits->parts:
 * the message itself, each body part of a multipart (leaf or not) and
 * each embedded message.  The message is at depth 0, the parts of a
 * multipart and the message inside a message/rfc822 one deeper than
 * their container; an entity deeper than limits->depth is refused.
 *
 * The file name is Content-Disposition's filename, else Content-Type's
 * name, decoded (RFC 2231, RFC 2047) to UTF-8 and made safe to show: no
 * directory part, control characters as '_', invalid UTF-8 as '?', at
 * most 200 bytes.  It is never meant to be used as a path.
 *
 * Returns 0, or -1 with a one-line reason in why[] (the limit named, as
 * in "more than 256 MIME parts (mime_parts limit)"), or -1 with why[0]
 * == '\0' when the callback stopped the walk.
 */
int	mime_walk(const unsigned char *msg, size_t len,
	    const struct mime_limits *, mime_cb, void *arg, char *why,
	    size_t whylen);

#endif
