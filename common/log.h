/*
 * Diagnostics as "prog: message" lines on stderr, filtered by a level
 * that follows TA-dmarc's log_level: 10 debug, 20 info, 30 warning,
 * 40 error, 50 critical.  One write(2) per line, so lines from several
 * processes sharing a stderr never interleave, and nothing here needs
 * more than the stdio sandbox.
 *
 * With log_set_kv() (option -k) a line is instead a stable key=value
 * event for log files and syslog, as scripts/dmarcpipe writes them:
 *	time=2026-11-29T08:42:35Z level=info program=unzipd pid=42 message="..."
 * time in UTC (no time zone file is needed inside a chroot), '"' and '\'
 * in the message escaped with a backslash.
 */
#ifndef DP_LOG_H
#define DP_LOG_H

#define LOG_DEBUG	10
#define LOG_INFO	20
#define LOG_WARNING	30
#define LOG_ERROR	40
#define LOG_CRITICAL	50

void	log_init(const char *prog);
/* TA-dmarc's rounding: <=0 -> 20, 1..19 -> 10, ..., >=50 -> 50. */
int	log_set_level(const char *s, const char **why);
int	log_level(void);
void	log_set_kv(void);
void	log_msg(int level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define log_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define log_warnx(...)	log_msg(LOG_WARNING, __VA_ARGS__)
#define log_errorx(...)	log_msg(LOG_ERROR, __VA_ARGS__)

#endif
