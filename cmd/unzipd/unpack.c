/*
 * The unpacking: sniff, walk the MIME tree, open archives with
 * libarchive (gzip and zip only: the gzip filter is zlib's, no external
 * program is ever run), and cut the XML that comes out into documents
 * with the same gate rua2kv uses, so that a file holding several
 * reports becomes several.
 *
 * Budget: all bytes that decompression produces for one input count
 * against report_bytes and against ratio times the compressed size of
 * the attachment they came from, whatever a header declares.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailtext.h"
#include "mime.h"
#include "unpack.h"
#include "xmlsplit.h"

#define CHUNK	(64 * 1024)

enum kind { K_OTHER, K_XML, K_GZIP, K_ZIP };

struct unpacker {
	const struct limits	*lim;
	const struct report_out	*out;
	char			*why;
	size_t			 whylen;
	unsigned long		 k;		/* reports begun */
	unsigned long		 found;		/* attachments with a report */
	long long		 produced;	/* decompressed, whole input */
	long long		 att_produced;	/* ... of this attachment */
	long long		 att_budget;	/* its ratio limit */
	int			 fault;		/* the output failed */
	int			 fatal;		/* over a limit: stop all */
	int			 bad;		/* a part or member refused */
};

/* Split XML into documents as it streams past. */
struct splitter {
	struct xmlsplit	 xs;
	unsigned char	 buf[CHUNK + 64];
	size_t		 len;
	int		 open;		/* a document is being written */
	const char	*what;		/* where the XML is, for messages */
};

/* Where libarchive reads from: memory, or another archive's entry. */
struct source {
	struct unpacker		*u;
	const unsigned char	*p;		/* memory, or a first chunk */
	size_t			 len;
	struct archive		*outer;		/* then the rest from here */
	unsigned char		 buf[CHUNK];
};

static int	extract(struct unpacker *, struct source *, int level,
		    const char *what);

static int
refuse(struct unpacker *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The first reason wins.  Returns -1, for `return refuse(...)`. */
static int
refuse(struct unpacker *u, const char *fmt, ...)
{
	va_list	ap;

	if (u->why[0] == '\0') {
		va_start(ap, fmt);
		(void)vsnprintf(u->why, u->whylen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int
fault(struct unpacker *u)
{
	u->fault = errno ? errno : EIO;
	u->fatal = 1;
	return -1;
}

/*
 * After a zip member or a mail part failed: go on with the next one,
 * unless the input as a whole is over a limit or the output failed.
 */
static int
next_one(struct unpacker *u, int rc)
{
	if (rc == 0 || u->fatal)
		return rc;
	u->bad = 1;
	return 0;
}

/*
 * What the bytes are.  In a mail, `strict` asks more of XML than a '<':
 * a text/html part begins with one too.
 */
static enum kind
sniff(const unsigned char *p, size_t n, int strict)
{
	unsigned long	lines = 0;
	size_t		i, j, q;

	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return K_GZIP;
	if (n >= 4 && p[0] == 'P' && p[1] == 'K' && ((p[2] == 3 &&
	    p[3] == 4) || (p[2] == 5 && p[3] == 6)))
		return K_ZIP;
	if (n >= 2 && ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe &&
	    p[1] == 0xff) || (p[0] == '<' && p[1] == 0) || (p[0] == 0 &&
	    p[1] == '<')))
		return K_XML;
	i = xs_space(p, n, &lines);
	if (i == n || p[i] != '<')
		return K_OTHER;
	if (!strict || (n - i >= 5 && memcmp(p + i, "<?xml", 5) == 0))
		return K_XML;
	/* "<feedback" or "<prefix:feedback" */
	j = i + 1;
	for (q = j; q < n && q - j < 64 && p[q] != ':' && p[q] != '>' &&
	    p[q] != ' ' && p[q] != '\t' && p[q] != '\r' && p[q] != '\n'; q++)
		;
	if (q < n && p[q] == ':')
		j = q + 1;
	return n - j >= 8 && memcmp(p + j, "feedback", 8) == 0 ? K_XML :
	    K_OTHER;
}

/* ------------------------------------------------------------ reports */

static void
split_init(struct splitter *sp, const char *what)
{
	sp->what = what;
	xs_init(&sp->xs);
	sp->len = 0;
	sp->open = 0;
}

/*
 * Feed `n` bytes of XML (eof: no more follow) and send every document
 * that ends to the output.  Returns 0 or -1 (refused or failed).
 */
static int
split_feed(struct unpacker *u, struct splitter *sp, const unsigned char *p,
    size_t n, int eof)
{
	enum xs_status	st;
	size_t		off, skip, take, room;

	do {
		room = sizeof(sp->buf) - sp->len;
		if (room > n)
			room = n;
		memcpy(sp->buf + sp->len, p, room);
		sp->len += room;
		p += room;
		n -= room;
		for (off = 0;;) {
			st = xs_scan(&sp->xs, sp->buf + off, sp->len - off,
			    eof && n == 0, &skip, &take);
			off += skip;
			if (st == XS_ERROR) {
				if (sp->open)
					u->out->abort(u->out->arg, u->k);
				(void)refuse(u, "%s: report %lu: %s", sp->what,
				    sp->open ? u->k : u->k + 1, sp->xs.error);
				sp->open = 0;
				return -1;
			}
			if (take > 0) {
				if (!sp->open) {
					if (u->out->begin(u->out->arg,
					    ++u->k) == -1)
						return fault(u);
					sp->open = 1;
				}
				if (u->out->write(u->out->arg, sp->buf + off,
				    take) == -1)
					return fault(u);
				off += take;
			}
			if (st == XS_END) {
				sp->open = 0;
				if (u->out->end(u->out->arg, u->k) == -1)
					return fault(u);
				xs_init(&sp->xs);
				continue;
			}
			if (st == XS_EMPTY)
				off = sp->len;
			if (take == 0 || off == sp->len)
				break;
		}
		memmove(sp->buf, sp->buf + off, sp->len - off);
		sp->len -= off;
	} while (n > 0);
	if (eof && sp->open) {
		u->out->abort(u->out->arg, u->k);
		sp->open = 0;
		return refuse(u, "%s: report %lu: the XML ends before its "
		    "root element does (cut short?)", sp->what, u->k);
	}
	return 0;
}

/* Count decompressed bytes against the budget. */
static int
spend(struct unpacker *u, size_t n)
{
	u->produced += (long long)n;
	u->att_produced += (long long)n;
	if (u->produced > u->lim->report_bytes) {
		u->fatal = 1;
		return refuse(u, "more than %lld bytes decompressed "
		    "(report_bytes limit)", u->lim->report_bytes);
	}
	if (u->att_produced > u->att_budget) {
		u->fatal = 1;
		return refuse(u, "decompresses to more than %lld times its "
		    "size (ratio limit)", u->lim->ratio);
	}
	return 0;
}

/* ------------------------------------------------------------ archives */

static la_ssize_t
source_read(struct archive *a, void *arg, const void **buf)
{
	struct source	*s = arg;
	la_ssize_t	 n;

	(void)a;
	if (s->len > 0) {
		*buf = s->p;
		n = (la_ssize_t)s->len;
		s->len = 0;
		return n;
	}
	if (s->outer == NULL)
		return 0;
	n = archive_read_data(s->outer, s->buf, sizeof(s->buf));
	if (n < 0) {
		archive_set_error(a, EIO, "%s",
		    archive_error_string(s->outer));
		return -1;
	}
	if (spend(s->u, (size_t)n) == -1) {
		archive_set_error(a, EIO, "over a limit");
		return -1;
	}
	*buf = s->buf;
	return n;
}

/* A zip member's name, safe to print. */
static void
member_name(struct archive_entry *e, char *buf, size_t len)
{
	const char	*s = archive_entry_pathname(e);

	if (s == NULL)
		s = "(no name)";
	text_shown((const unsigned char *)s, strlen(s), buf, len);
}

/* Entries of a zip that hold no report by their nature. */
static int
junk_member(const char *name)
{
	const char	*base;

	if (name == NULL)
		return 0;
	base = strrchr(name, '/');
	base = base != NULL ? base + 1 : name;
	return strncmp(name, "__MACOSX/", 9) == 0 || strncmp(base, "._", 2) == 0;
}

/*
 * One entry's data: sniff its first chunk, then stream it to the
 * splitter, or into a nested archive.
 */
static int
entry_data(struct unpacker *u, struct archive *a, int level, int zip,
    const char *what)
{
	struct splitter	*sp;
	struct source	*inner;
	unsigned char	*buf;
	la_ssize_t	 n;
	enum kind	 k;
	int		 rc = -1;

	if ((buf = malloc(CHUNK)) == NULL)
		return refuse(u, "out of memory");
	n = archive_read_data(a, buf, CHUNK);
	if (n < 0) {
		rc = refuse(u, "%s: %s", what, archive_error_string(a));
		goto out;
	}
	if (spend(u, (size_t)n) == -1)
		goto out;
	switch (k = sniff(buf, (size_t)n, 0)) {
	case K_GZIP:
	case K_ZIP:
		if (level + 1 > u->lim->nesting) {
			rc = refuse(u, "%s: compressed more than %lld layers "
			    "deep (nesting limit)", what, u->lim->nesting);
			goto out;
		}
		if ((inner = calloc(1, sizeof(*inner))) == NULL) {
			rc = refuse(u, "out of memory");
			goto out;
		}
		inner->u = u;
		inner->p = buf;
		inner->len = (size_t)n;
		inner->outer = a;
		rc = extract(u, inner, level + 1, what);
		free(inner);
		goto out;
	case K_XML:
		break;
	case K_OTHER:
		if (zip) {	/* a README beside the report */
			rc = 0;
			goto out;
		}
		rc = refuse(u, "%s: holds neither XML nor an archive", what);
		goto out;
	}
	if ((sp = malloc(sizeof(*sp))) == NULL) {
		rc = refuse(u, "out of memory");
		goto out;
	}
	split_init(sp, what);
	u->found++;
	rc = 0;
	while (rc == 0 && n > 0) {
		rc = split_feed(u, sp, buf, (size_t)n, 0);
		if (rc == 0 && (n = archive_read_data(a, buf, CHUNK)) < 0)
			rc = refuse(u, "%s: %s", what, archive_error_string(a));
		else if (rc == 0)
			rc = spend(u, (size_t)n);
	}
	if (rc == 0)
		rc = split_feed(u, sp, buf, 0, 1);
	else if (sp->open)
		u->out->abort(u->out->arg, u->k);
	free(sp);
out:
	free(buf);
	return rc;
}

/* Read an archive (zip, or gzip layers around anything) from `s`. */
static int
extract(struct unpacker *u, struct source *s, int level, const char *what)
{
	struct archive		*a;
	struct archive_entry	*e;
	char			 name[128], label[200];
	long long		 entries = 0;
	int			 r, rc = 0, zip, layers;

	if ((a = archive_read_new()) == NULL)
		return refuse(u, "out of memory");
	if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_format_zip(a) != ARCHIVE_OK ||
	    archive_read_support_format_raw(a) != ARCHIVE_OK) {
		rc = refuse(u, "libarchive: %s", archive_error_string(a));
		goto out;
	}
	if (s->outer == NULL)	/* whole in memory: zip reads its directory */
		r = archive_read_open_memory(a, s->p, s->len);
	else
		r = archive_read_open(a, s, NULL, source_read, NULL);
	if (r != ARCHIVE_OK) {
		rc = refuse(u, "%s: %s", what, archive_error_string(a));
		goto out;
	}
	while (rc == 0 && (r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
		if (r != ARCHIVE_OK) {	/* warnings too: never half-trust */
			rc = refuse(u, "%s: %s", what, archive_error_string(a));
			break;
		}
		layers = archive_filter_count(a) - 1;
		if (level + layers > u->lim->nesting) {
			rc = refuse(u, "%s: compressed more than %lld layers "
			    "deep (nesting limit)", what, u->lim->nesting);
			break;
		}
		zip = archive_format(a) != ARCHIVE_FORMAT_RAW;
		if (!zip) {
			rc = entry_data(u, a, level + layers, 0, what);
			continue;
		}
		member_name(e, name, sizeof(name));
		if (++entries > u->lim->entries) {
			u->fatal = 1;
			rc = refuse(u, "%s: more than %lld members (entries "
			    "limit)", what, u->lim->entries);
			break;
		}
		if (archive_entry_filetype(e) == AE_IFDIR ||
		    junk_member(archive_entry_pathname(e)))
			continue;
		if (archive_entry_filetype(e) != AE_IFREG)
			rc = refuse(u, "%s member %s is not a plain file",
			    what, name);
		else if (archive_entry_is_encrypted(e))
			rc = refuse(u, "%s member %s is encrypted", what,
			    name);
		else {
			(void)snprintf(label, sizeof(label), "%s member %s",
			    what, name);
			rc = entry_data(u, a, level + layers + 1, 1, label);
		}
		rc = next_one(u, rc);
	}
out:
	(void)archive_read_free(a);
	return rc;
}

/* ------------------------------------------------------------ inputs */

/* One attachment (or a whole dropped file) that sniffed as a report. */
static int
attachment(struct unpacker *u, const unsigned char *p, size_t len,
    enum kind k, const char *what)
{
	struct splitter	*sp;
	struct source	*s;
	int		 rc;

	u->att_produced = 0;
	u->att_budget = (long long)len <= u->lim->report_bytes /
	    u->lim->ratio ? (long long)len * u->lim->ratio :
	    u->lim->report_bytes;
	if (k == K_XML) {
		if ((sp = malloc(sizeof(*sp))) == NULL)
			return refuse(u, "out of memory");
		split_init(sp, what);
		u->found++;
		u->att_budget = (long long)len;
		rc = spend(u, len);
		if (rc == 0)
			rc = split_feed(u, sp, p, len, 1);
		free(sp);
		return rc;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return refuse(u, "out of memory");
	s->u = u;
	s->p = p;
	s->len = len;
	rc = extract(u, s, 0, what);
	free(s);
	return rc;
}

static int
on_part(void *arg, const struct mime_part *mp)
{
	struct unpacker	*u = arg;
	enum kind	 k;
	char		 what[256];

	if ((k = sniff(mp->body, mp->len, 1)) == K_OTHER)
		return 0;
	(void)snprintf(what, sizeof(what), "part %u (%s%s%s)", mp->index,
	    mp->type, mp->filename != NULL ? ", " : "",
	    mp->filename != NULL ? mp->filename : "");
	return next_one(u, attachment(u, mp->body, mp->len, k, what));
}

void
unpack_setup(void)
{
	struct archive	*a;

	/* registration allocates and looks things up once: do it now */
	if ((a = archive_read_new()) != NULL) {
		(void)archive_read_support_filter_gzip(a);
		(void)archive_read_support_format_zip(a);
		(void)archive_read_free(a);
	}
}

enum unpack_result
unpack(const unsigned char *p, size_t len, const struct limits *lim,
    const struct report_out *out, unsigned long *reports, char *why,
    size_t whylen)
{
	struct unpacker		u;
	struct mime_limits	ml;
	enum kind		k;
	int			rc;

	memset(&u, 0, sizeof(u));
	u.lim = lim;
	u.out = out;
	u.why = why;
	u.whylen = whylen;
	why[0] = '\0';
	if ((k = sniff(p, len, 0)) != K_OTHER)
		rc = attachment(&u, p, len, k, k == K_ZIP ? "zip" :
		    k == K_GZIP ? "gzip" : "XML");
	else {
		ml.depth = lim->mime_depth;
		ml.parts = lim->mime_parts;
		rc = mime_walk(p, len, &ml, on_part, &u, why, whylen);
		if (rc == 0 && u.found == 0)
			rc = refuse(&u, "no DMARC report in the message: no "
			    "part holds an XML report");
	}
	*reports = u.k;
	if (u.fault != 0) {
		errno = u.fault;
		return UNPACK_FAULT;
	}
	if (rc == -1 || u.bad || why[0] != '\0')
		return UNPACK_BAD;
	if (u.found == 0) {
		(void)snprintf(why, whylen, "no report in it: nothing that "
		    "holds XML");
		return UNPACK_BAD;
	}
	if (u.k == 0) {
		(void)snprintf(why, whylen, "no report in it: only white "
		    "space where the XML should be");
		return UNPACK_BAD;
	}
	return UNPACK_OK;
}
