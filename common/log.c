/*
 * The line is formatted into one buffer and written with one write(2).
 * A message longer than the buffer is cut and marked with "...", never
 * split over two lines.  Newlines inside a message (from a hostile file
 * name or a library error) are turned into spaces: one event, one line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "num.h"

static const char	*log_prog = "dmarcpipe";
static int		 log_min = LOG_INFO;

void
log_init(const char *prog)
{
	log_prog = prog;
}

int
log_level(void)
{
	return log_min;
}

int
log_set_level(const char *s, const char **why)
{
	long long	v;

	if (num_parse(s, -1000000, 1000000, &v, why) == -1)
		return -1;
	if (v <= 0)
		log_min = LOG_INFO;
	else if (v >= 50)
		log_min = LOG_CRITICAL;
	else if (v < 20)
		log_min = LOG_DEBUG;
	else
		log_min = (int)(v / 10 * 10);
	return 0;
}

void
log_msg(int level, const char *fmt, ...)
{
	char	 line[2048];
	va_list	 ap;
	int	 n, m, saved = errno;
	size_t	 len, i, off;
	ssize_t	 w;

	if (level < log_min)
		return;
	n = snprintf(line, sizeof(line), "%s: ", log_prog);
	if (n < 0 || (size_t)n >= sizeof(line) / 2)
		n = 0;
	/* Leave room for the newline. */
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	len = strlen(line);
	if ((size_t)m >= sizeof(line) - (size_t)n - 1)
		memcpy(line + len - 3, "...", 3);
	for (i = (size_t)n; i < len; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[len++] = '\n';
	/* Diagnostics are best effort: a closed stderr must not stop work. */
	for (off = 0; off < len; off += (size_t)w) {
		w = write(STDERR_FILENO, line + off, len - off);
		if (w == -1 && errno == EINTR)
			w = 0;
		else if (w <= 0)
			break;
	}
	errno = saved;
}
