/*
 * Writes loop over short writes and EINTR.  After an error the buffer is
 * emptied so that memory stays bounded; the error sticks.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "wbuf.h"

void
wbuf_init(struct wbuf *w, int fd)
{
	w->fd = fd;
	w->err = 0;
	w->len = 0;
	w->total = 0;
}

static void
write_all(struct wbuf *w, const char *p, size_t n)
{
	ssize_t	r;

	if (w->fd == -1 && n > 0)	/* a memory buffer, overflowing */
		w->err = ENOBUFS;
	while (n > 0 && w->err == 0) {
		r = write(w->fd, p, n);
		if (r == -1) {
			if (errno != EINTR)
				w->err = errno;
			continue;
		}
		if (r == 0) {
			w->err = EIO;
			continue;
		}
		p += r;
		n -= (size_t)r;
	}
}

int
wbuf_flush(struct wbuf *w)
{
	write_all(w, w->buf, w->len);
	w->len = 0;
	if (w->err != 0) {
		errno = w->err;
		return -1;
	}
	return 0;
}

void
wbuf_put_slow(struct wbuf *w, const void *p, size_t n)
{
	(void)wbuf_flush(w);
	if (w->err != 0)
		return;
	if (n >= sizeof(w->buf)) {
		write_all(w, p, n);
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}
