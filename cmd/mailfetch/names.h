/*
 * What mailfetch decides from a mail's headers and the configuration,
 * without any I/O, so a unit test can hold each rule to its examples:
 * the Subject check, folder names on the wire (IMAP's modified UTF-7,
 * quoted), move-to templates and dates, Graph's Retry-After.
 */
#ifndef MAILFETCH_NAMES_H
#define MAILFETCH_NAMES_H

#include <stddef.h>
#include <time.h>

/* TA-dmarc's markers, for a configuration that names none. */
extern const char *const default_markers[];

/*
 * Does the header block at hdr (n bytes; folded lines, RFC 2047 words)
 * have a Subject that holds one of the markers, ignoring ASCII case?
 * No Subject is no match.  markers is NULL-terminated.
 */
int	subject_matches(const char *hdr, size_t n, const char *const *markers);

/* The same for a Subject already decoded (as Graph gives it). */
int	text_matches(const char *s, size_t n, const char *const *markers);

/*
 * The UTF-8 folder name as an IMAP quoted string in modified UTF-7
 * (RFC 3501 5.1.3), quotes included, each '/' (the configuration's
 * hierarchy separator, as in TA-dmarc) written as the server's `delim`.
 * Returns -1 for invalid UTF-8, a control character or no room.
 */
int	folder_quote(const char *utf8, char delim, char *out, size_t cap);

/* A UTC calendar date. */
struct ymd {
	int	y, m, d;
};

/* The ISO 8601 week of a date, and the year that week belongs to. */
void	iso_week(const struct ymd *, int *isoyear, int *week);

/*
 * mailserver_moveto with [YEAR] [MONTH] [DAY] [WEEK] filled in, two
 * digits for month, day and week.  When the template has [WEEK] but
 * neither [MONTH] nor [DAY], [YEAR] is the ISO week's year, so that
 * 2024-12-30 files under 2025/week_01 and 2021-01-01 under 2020/week_53.
 * Returns -1 when it does not fit.
 */
int	moveto_expand(const char *tmpl, const struct ymd *, char *out,
	    size_t cap);

/*
 * An IMAP INTERNALDATE ("29-Nov-2026 04:47:31 +0100") as a UTC date.
 * Returns -1 when it is not one.
 */
int	imap_date(const char *s, struct ymd *);

/* Today, UTC. */
void	today(struct ymd *);

/*
 * The seconds a Retry-After header's value asks to wait (RFC 9110
 * 10.2.3): delay-seconds, or an HTTP-date less now (0 when it is past).
 * The value is the n bytes at p as libcurl gives a header's: not
 * NUL-terminated, its line end kept.  Returns -1 for anything else.
 */
long	retry_after(const char *p, size_t n, time_t now);

#endif
