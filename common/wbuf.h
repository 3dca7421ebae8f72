/*
 * A buffered writer on a file descriptor, for event lines.  The first
 * failed write is remembered (errno in ->err) and later writes are
 * dropped, so callers check once, at wbuf_flush(), the way a careful
 * filter checks fclose(stdout).  On fd -1 it is a memory buffer: a
 * write that overflows it fails with ENOBUFS.
 */
#ifndef DP_WBUF_H
#define DP_WBUF_H

#include <stddef.h>
#include <string.h>

#define WBUF_SIZE	(64 * 1024)

struct wbuf {
	int			fd;
	int			err;	/* errno of the first failure, or 0 */
	size_t			len;
	unsigned long long	total;	/* bytes put since wbuf_init() */
	char			buf[WBUF_SIZE];
};

void	wbuf_init(struct wbuf *, int fd);
/* Returns 0, or -1 with errno set from the first failure. */
int	wbuf_flush(struct wbuf *);
/* wbuf_put() when the bytes don't fit. */
void	wbuf_put_slow(struct wbuf *, const void *, size_t);

/*
 * Inline, since event lines are made of many short pieces.  After an
 * error, bytes still collect in the buffer, and the next flush drops
 * them.
 */
static inline void
wbuf_put(struct wbuf *w, const void *p, size_t n)
{
	w->total += n;
	if (n <= sizeof(w->buf) - w->len) {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
	} else
		wbuf_put_slow(w, p, n);
}

static inline void
wbuf_puts(struct wbuf *w, const char *s)
{
	wbuf_put(w, s, strlen(s));
}

static inline void
wbuf_putc(struct wbuf *w, char c)
{
	w->total++;
	if (w->len == sizeof(w->buf))
		(void)wbuf_flush(w);
	if (w->len < sizeof(w->buf))
		w->buf[w->len++] = c;
}

#endif
