#include <curl/curl.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mailtext.h"
#include "names.h"

#define SUBJECT_MAX	4096	/* decoded bytes of a Subject we look at */

const char *const default_markers[] = {
	"report domain", "dmarc aggregate report", "report_domain",
	"[dmarc report]", NULL
};

/* ---------------------------------------------------------- subject */

static int
contains(const char *hay, size_t n, const char *needle)
{
	size_t	k = strlen(needle), i;

	if (k == 0)
		return 0;
	for (i = 0; i + k <= n; i++)
		if (strncasecmp(hay + i, needle, k) == 0)
			return 1;
	return 0;
}

/* Where the Subject field's value starts in hdr, or NULL. */
static const char *
subject_find(const char *hdr, size_t n, const char **end)
{
	const char	*p = hdr, *e = hdr + n, *nl;

	while (p < e) {
		if (e - p > 8 && strncasecmp(p, "subject:", 8) == 0) {
			/* the value runs to the first line not folded on */
			for (nl = p; ; nl++) {
				nl = memchr(nl, '\n', (size_t)(e - nl));
				if (nl == NULL || nl + 1 == e ||
				    !is_wsp(nl[1]))
					break;
			}
			*end = nl ? nl : e;
			return p + 8;
		}
		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			break;
		p = nl + 1;
	}
	return NULL;
}

int
subject_matches(const char *hdr, size_t n, const char *const *markers)
{
	unsigned char	 buf[SUBJECT_MAX];
	char		 flat[SUBJECT_MAX];
	struct text	 out = { buf, 0, sizeof(buf) };
	const char	*v, *end;
	size_t		 k = 0;

	if ((v = subject_find(hdr, n, &end)) == NULL)
		return 0;
	/* unfold: line breaks go, a tab is a space */
	for (; v < end && k < sizeof(flat); v++) {
		if (*v == '\r' || *v == '\n')
			continue;
		flat[k++] = *v == '\t' ? ' ' : *v;
	}
	words_add(&out, flat, k);
	return text_matches((const char *)buf, out.len, markers);
}

int
text_matches(const char *s, size_t n, const char *const *markers)
{
	if (n > SUBJECT_MAX)
		n = SUBJECT_MAX;
	for (; *markers != NULL; markers++)
		if (contains(s, n, *markers))
			return 1;
	return 0;
}

/* ---------------------------------------------------------- folders */

static const char mb64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

struct out {
	char	*p;
	size_t	 len, cap;
	int	 full;
};

static void
put(struct out *o, char c)
{
	if (o->len + 1 >= o->cap) {
		o->full = 1;
		return;
	}
	o->p[o->len++] = c;
}

/* One quoted-string character. */
static void
putq(struct out *o, char c)
{
	if (c == '"' || c == '\\')
		put(o, '\\');
	put(o, c);
}

/* Code point at s (n bytes left, k bytes long), or -1. */
static long
code_point(const unsigned char *s, size_t k)
{
	long	cp;
	size_t	i;

	if (k == 1)
		return s[0];
	cp = s[0] & (0x7f >> k);
	for (i = 1; i < k; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	return cp;
}

/* The UTF-16 units in u[0..n) in modified base64, "&...-". */
static void
put_b64(struct out *o, const unsigned short *u, size_t n)
{
	unsigned long	acc = 0;
	int		bits = 0;
	size_t		i;

	put(o, '&');
	for (i = 0; i < n; i++) {
		acc = (acc << 16 | u[i]) & 0xffffffUL;
		bits += 16;
		while (bits >= 6) {
			bits -= 6;
			put(o, mb64[acc >> bits & 0x3f]);
		}
	}
	if (bits > 0)
		put(o, mb64[acc << (6 - bits) & 0x3f]);
	put(o, '-');
}

int
folder_quote(const char *utf8, char delim, char *buf, size_t cap)
{
	const unsigned char	*s = (const unsigned char *)utf8;
	size_t			 n = strlen(utf8), i = 0, k, nu;
	unsigned short		 u[256];
	struct out		 o = { buf, 0, cap, 0 };
	long			 cp;

	put(&o, '"');
	while (i < n) {
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			putq(&o, s[i] == '/' ? delim : (char)s[i]);
			if (s[i] == '&')
				put(&o, '-');
			i++;
			continue;
		}
		for (nu = 0; i < n && (s[i] < 0x20 || s[i] >= 0x7f); i += k) {
			if ((k = utf8_len(s + i, n - i)) == 0 ||
			    (cp = code_point(s + i, k)) < 0xa0)
				return -1;	/* invalid, or a control */
			if (nu + 2 > sizeof(u) / sizeof(u[0]))
				return -1;
			if (cp >= 0x10000) {
				cp -= 0x10000;
				u[nu++] = (unsigned short)(0xd800 + (cp >> 10));
				u[nu++] = (unsigned short)(0xdc00 +
				    (cp & 0x3ff));
			} else
				u[nu++] = (unsigned short)cp;
		}
		put_b64(&o, u, nu);
	}
	put(&o, '"');
	if (o.full)
		return -1;
	buf[o.len] = '\0';
	return 0;
}

/* ---------------------------------------------------------- dates */

/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
static long
days_from_civil(int y, int m, int d)
{
	long	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(long z, struct ymd *t)
{
	long	era, doe, yoe, doy, mp, y;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	t->d = (int)(doy - (153 * mp + 2) / 5 + 1);
	t->m = (int)(mp < 10 ? mp + 3 : mp - 9);
	t->y = (int)(y + (t->m <= 2));
}

/* 1 Monday .. 7 Sunday */
static int
weekday(long days)
{
	long	w = (days + 3) % 7;	/* 1970-01-01 was a Thursday */

	return (int)(w < 0 ? w + 7 : w) + 1;
}

static int
weeks_in(int y)
{
	int	jan1 = weekday(days_from_civil(y, 1, 1));
	int	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return jan1 == 4 || (leap && jan1 == 3) ? 53 : 52;
}

void
iso_week(const struct ymd *t, int *isoyear, int *week)
{
	long	days = days_from_civil(t->y, t->m, t->d);
	long	doy = days - days_from_civil(t->y, 1, 1) + 1;
	int	w = (int)((doy - weekday(days) + 10) / 7);

	*isoyear = t->y;
	if (w < 1) {
		*isoyear = t->y - 1;
		w = weeks_in(t->y - 1);
	} else if (w > weeks_in(t->y)) {
		*isoyear = t->y + 1;
		w = 1;
	}
	*week = w;
}

int
moveto_expand(const char *tmpl, const struct ymd *t, char *buf, size_t cap)
{
	struct out	 o = { buf, 0, cap, 0 };
	char		 num[16];
	const char	*p, *q;
	int		 isoyear, week, year = t->y;

	iso_week(t, &isoyear, &week);
	if (strstr(tmpl, "[WEEK]") != NULL && strstr(tmpl, "[MONTH]") == NULL &&
	    strstr(tmpl, "[DAY]") == NULL)
		year = isoyear;
	for (p = tmpl; *p != '\0'; ) {
		num[0] = '\0';
		if (strncmp(p, "[YEAR]", 6) == 0)
			(void)snprintf(num, sizeof(num), "%04d", year);
		else if (strncmp(p, "[MONTH]", 7) == 0)
			(void)snprintf(num, sizeof(num), "%02d", t->m);
		else if (strncmp(p, "[DAY]", 5) == 0)
			(void)snprintf(num, sizeof(num), "%02d", t->d);
		else if (strncmp(p, "[WEEK]", 6) == 0)
			(void)snprintf(num, sizeof(num), "%02d", week);
		if (num[0] == '\0') {
			put(&o, *p++);
			continue;
		}
		for (q = num; *q != '\0'; q++)
			put(&o, *q);
		p = strchr(p, ']') + 1;
	}
	if (o.full)
		return -1;
	buf[o.len] = '\0';
	return 0;
}

int
imap_date(const char *s, struct ymd *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char		 mon[4], sign;
	const char	*m;
	int		 d, y, hh, mm, ss, zh, zm, used = 0;
	long		 days, secs;

	if (sscanf(s, "%2d-%3s-%4d %2d:%2d:%2d %c%2d%2d%n", &d, mon, &y, &hh,
	    &mm, &ss, &sign, &zh, &zm, &used) != 9 || s[used] != '\0' ||
	    (sign != '+' && sign != '-'))
		return -1;
	if ((m = strstr(months, mon)) == NULL || (m - months) % 3 != 0 ||
	    strlen(mon) != 3 || d < 1 || d > 31 || hh > 23 || mm > 59 ||
	    ss > 60 || zh > 23 || zm > 59 || y < 1900)
		return -1;
	days = days_from_civil(y, (int)((m - months) / 3) + 1, d);
	secs = hh * 3600L + mm * 60L + ss - (sign == '+' ? 1 : -1) *
	    (zh * 3600L + zm * 60L);
	days += secs >= 0 ? secs / 86400 : -((86399 - secs) / 86400);
	civil_from_days(days, t);
	return 0;
}

void
today(struct ymd *t)
{
	time_t	now = time(NULL);

	civil_from_days((long)(now / 86400), t);
}

/* ---------------------------------------------------------- HTTP */

long
retry_after(const char *p, size_t n, time_t now)
{
	char	v[128];
	time_t	when;
	long	secs;

	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	if (n >= sizeof(v))
		return -1;	/* no delay or date is that long */
	memcpy(v, p, n);
	v[n] = '\0';
	if (sscanf(v, " %ld", &secs) == 1 && strspn(v, " 0123456789") == n)
		return secs;
	if ((when = curl_getdate(v, NULL)) != -1)
		return when > now ? (long)(when - now) : 0;
	return -1;
}
