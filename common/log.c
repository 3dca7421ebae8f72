/*
 * The line is formatted into one buffer and written with one write(2).
 * A message longer than its buffer is cut and marked with "...", never
 * split over two lines.  Newlines inside a message (from a hostile file
 * name or a library error) are turned into spaces: one event, one line;
 * other control characters into '?'.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "num.h"

static const char	*log_prog = "dmarcpipe";
static int		 log_min = LOG_INFO;
static int		 log_kv;

void
log_init(const char *prog)
{
	log_prog = prog;
}

void
log_set_kv(void)
{
	log_kv = 1;
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

static const char *
level_word(int level)
{
	if (level >= LOG_CRITICAL)
		return "critical";
	if (level >= LOG_ERROR)
		return "error";
	if (level >= LOG_WARNING)
		return "warning";
	if (level >= LOG_INFO)
		return "info";
	return "debug";
}

/*
 * The kv form of the line: the fixed fields, then the message quoted.
 * Returns the length, the message cut (with "...") to leave room for
 * the closing quote and the newline.
 */
static size_t
kv_line(char *line, size_t size, int level, const char *msg)
{
	struct timespec	 ts;
	struct tm	 tm;
	size_t		 len, room = size - 6;	/* '..."' '\n' */
	int		 n;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	n = snprintf(line, size, "time=%04d-%02d-%02dT%02d:%02d:%02dZ "
	    "level=%s program=%s pid=%ld message=\"", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    level_word(level), log_prog, (long)getpid());
	if (n < 0 || (size_t)n >= size / 2)
		n = 0;
	len = (size_t)n;
	for (; *msg != '\0' && len < room; msg++) {
		if ((*msg == '"' || *msg == '\\') && len + 1 < room)
			line[len++] = '\\';
		else if (*msg == '"' || *msg == '\\')
			break;
		line[len++] = *msg;
	}
	if (*msg != '\0') {
		memcpy(line + len, "...", 3);
		len += 3;
	}
	line[len++] = '"';
	return len;
}

void
log_msg(int level, const char *fmt, ...)
{
	char	 msg[2048], line[4096];
	va_list	 ap;
	int	 m, saved = errno;
	size_t	 len, i, off;
	ssize_t	 w;

	if (level < log_min)
		return;
	va_start(ap, fmt);
	m = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (m < 0)
		msg[0] = '\0';
	else if ((size_t)m >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 3);
	/*
	 * One line, and nothing a terminal acts on: names in messages come
	 * from mails, archives and whoever drops a file.
	 */
	for (i = 0; msg[i] != '\0'; i++)
		if (msg[i] == '\n' || msg[i] == '\r')
			msg[i] = ' ';
		else if (((unsigned char)msg[i] < 0x20 && msg[i] != '\t') ||
		    msg[i] == 0x7f)
			msg[i] = '?';
	if (log_kv)
		len = kv_line(line, sizeof(line) - 1, level, msg);
	else {
		m = snprintf(line, sizeof(line) - 1, "%s: %s", log_prog, msg);
		len = m < 0 ? 0 : (size_t)m;
		if (len >= sizeof(line) - 1)
			len = sizeof(line) - 2;
	}
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
