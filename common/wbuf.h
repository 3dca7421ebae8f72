/*
 * A buffered writer on a file descriptor, for event lines.  The first
 * failed write is remembered (errno in ->err) and later writes are
 * dropped, so callers check once, at wbuf_flush(), the way a careful
 * filter checks fclose(stdout).
 */
#ifndef DP_WBUF_H
#define DP_WBUF_H

#include <stddef.h>

#define WBUF_SIZE	(64 * 1024)

struct wbuf {
	int	fd;
	int	err;		/* errno of the first failure, or 0 */
	size_t	len;
	char	buf[WBUF_SIZE];
};

void	wbuf_init(struct wbuf *, int fd);
void	wbuf_put(struct wbuf *, const void *, size_t);
void	wbuf_puts(struct wbuf *, const char *);
/* Returns 0, or -1 with errno set from the first failure. */
int	wbuf_flush(struct wbuf *);

static inline void
wbuf_putc(struct wbuf *w, char c)
{
	if (w->len == sizeof(w->buf))
		(void)wbuf_flush(w);
	if (w->len < sizeof(w->buf))
		w->buf[w->len++] = c;
}

#endif
