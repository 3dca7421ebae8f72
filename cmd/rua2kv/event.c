/*
 * Event lines.  json keeps TA-dmarc's nesting and key order (so SA-dmarc
 * and the TIME_PREFIX on "begin" keep working) and adds what TA-dmarc
 * dropped: every dkim/spf result and reason (one stays an object,
 * several become an array), fo, np, testing, discovery_method, error,
 * generator, comments and lang attributes.  kv uses SA-dmarc's prefixed
 * names with _N for repeated entries.  Absent elements are left out;
 * empty ones are "".  Both formats escape the same way: backslash before
 * '"' and '\', control characters as \n, \t, ... or \u00XX.
 *
 * event_id: 96 bits of SHA-256 over org_name, report_id, policy domain,
 * begin and end, each length-prefixed (absent and empty differ), then the
 * record's index, so a replayed report gives the same ids.
 */
#include <stdint.h>
#include <string.h>

#include "event.h"
#include "num.h"
#include "sha256.h"

static const char *const schema_names[] = { "rfc7489", "rfc9990", "unknown" };

/* ---------------------------------------------------------- escaping */

/*
 * How each byte is written: 0 as itself, 'u' as \u00XX, any other as a
 * backslash and that character.  Bytes from 0x80 up are 0.
 */
static const char esc[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',		/* 0x00 */
	'u', 't', 'n', 'u', 'u', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',		/* 0x10 */
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* 0x20 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,		/* 0x30 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,		/* 0x40 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,	/* 0x50 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,		/* 0x60 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'u',	/* 0x70 */
};

static void
put_escaped(struct wbuf *w, const char *s, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	const char		*run, *end = s + n;
	char			 u[6] = { '\\', 'u', '0', '0', 0, 0 };
	char			 pair[2] = { '\\', 0 };
	unsigned char		 c;

	while (s < end) {
		for (run = s; s < end && esc[(unsigned char)*s] == 0; s++)
			;
		wbuf_put(w, run, (size_t)(s - run));
		if (s == end)
			break;
		c = (unsigned char)*s++;
		if (esc[c] == 'u') {
			u[4] = hex[c >> 4];
			u[5] = hex[c & 0xf];
			wbuf_put(w, u, sizeof(u));
		} else {
			pair[1] = esc[c];
			wbuf_put(w, pair, sizeof(pair));
		}
	}
}

/* ---------------------------------------------------------- json */

struct jobj {
	struct wbuf	*w;
	int		 n;	/* members written */
};

static inline void
jkey(struct jobj *o, const char *key)
{
	if (o->n++ > 0)
		wbuf_put(o->w, ", ", 2);
	wbuf_putc(o->w, '"');
	wbuf_puts(o->w, key);
	wbuf_put(o->w, "\": ", 3);
}

static inline void
jstr(struct wbuf *w, const char *s, size_t n)
{
	wbuf_putc(w, '"');
	put_escaped(w, s, n);
	wbuf_putc(w, '"');
}

static inline void
jval(struct jobj *o, const char *key, const struct pool *p, struct val v)
{
	if (v.off == -1)
		return;
	jkey(o, key);
	jstr(o->w, val_ptr(p, v), (size_t)v.len);
}

static void
jlit(struct jobj *o, const char *key, const char *s)
{
	jkey(o, key);
	jstr(o->w, s, strlen(s));
}

/* Open a nested object; its key is written only when it gets a member. */
struct jsub {
	struct jobj	 o;
	struct jobj	*parent;
	const char	*key;
};

static void
jsub_open(struct jsub *s, struct jobj *parent, const char *key)
{
	s->o.w = parent->w;
	s->o.n = 0;
	s->parent = parent;
	s->key = key;
}

/* Before writing a member into s: its key and brace, the first time. */
static inline struct jobj *
jsub(struct jsub *s)
{
	if (s->o.n == 0) {
		jkey(s->parent, s->key);
		wbuf_putc(s->o.w, '{');
	}
	return &s->o;
}

static inline void
jsub_val(struct jsub *s, const char *key, const struct pool *p,
    struct val v)
{
	if (v.off != -1)
		jval(jsub(s), key, p, v);
}

static void
jsub_close(struct jsub *s)
{
	if (s->o.n > 0)
		wbuf_putc(s->o.w, '}');
}

static void
json_authres(struct wbuf *w, const struct pool *p, const struct authres *a,
    int spf)
{
	struct jobj	o = { w, 0 };

	wbuf_putc(w, '{');
	jval(&o, "domain", p, a->domain);
	if (spf)
		jval(&o, "scope", p, a->scope);
	else
		jval(&o, "selector", p, a->selector);
	jval(&o, "result", p, a->result);
	jval(&o, "human_result", p, a->human);
	jval(&o, "human_result_lang", p, a->human_lang);
	wbuf_putc(w, '}');
}

static void
json_reason(struct wbuf *w, const struct pool *p, const struct reason *n)
{
	struct jobj	o = { w, 0 };

	wbuf_putc(w, '{');
	jval(&o, "type", p, n->type);
	jval(&o, "comment", p, n->comment);
	jval(&o, "comment_lang", p, n->comment_lang);
	wbuf_putc(w, '}');
}

/* One entry: an object; several: an array of objects. */
static void
json_list(struct jobj *o, const char *key, const struct pool *p,
    const void *arr, size_t n, size_t size, int spf, int reason)
{
	const char	*e = arr;
	size_t		 i;

	if (n == 0)
		return;
	jkey(o, key);
	if (n > 1)
		wbuf_putc(o->w, '[');
	for (i = 0; i < n; i++, e += size) {
		if (i > 0)
			wbuf_put(o->w, ", ", 2);
		if (reason)
			json_reason(o->w, p, (const void *)e);
		else
			json_authres(o->w, p, (const void *)e, spf);
	}
	if (n > 1)
		wbuf_putc(o->w, ']');
}

/* The <error>s: a string, or an array of strings; lang= alike. */
static void
json_errors(struct jsub *meta, const struct header *h)
{
	const struct pool	*p = &h->pool;
	struct jobj		*o;
	size_t			 i;
	int			 lang;

	if (h->nerr == 0)
		return;
	for (lang = 0; lang < 2; lang++) {
		for (i = 0; lang && i < h->nerr; i++)
			if (h->err[i].lang.off != -1)
				break;
		if (lang && i == h->nerr)
			break;
		o = jsub(meta);
		jkey(o, lang ? "error_lang" : "error");
		if (h->nerr > 1)
			wbuf_putc(o->w, '[');
		for (i = 0; i < h->nerr; i++) {
			struct val v = lang ? h->err[i].lang : h->err[i].text;

			if (i > 0)
				wbuf_put(o->w, ", ", 2);
			if (v.off == -1)
				jstr(o->w, "", 0);
			else
				jstr(o->w, val_ptr(p, v), (size_t)v.len);
		}
		if (h->nerr > 1)
			wbuf_putc(o->w, ']');
	}
}

static void
json_header(struct jobj *fb, const struct header *h)
{
	const struct pool	*p = &h->pool;
	const struct val	*f = h->f;
	struct jsub		 meta, date, pol;

	jsub_open(&meta, fb, "report_metadata");
	jsub_val(&meta, "org_name", p, f[H_ORG_NAME]);
	jsub_val(&meta, "email", p, f[H_EMAIL]);
	jsub_val(&meta, "extra_contact_info", p, f[H_EXTRA_CONTACT]);
	jsub_val(&meta, "extra_contact_info_lang", p,
	    f[H_EXTRA_CONTACT_LANG]);
	jsub_val(&meta, "report_id", p, f[H_REPORT_ID]);
	if (f[H_BEGIN].off != -1 || f[H_END].off != -1) {
		jsub_open(&date, jsub(&meta), "date_range");
		jsub_val(&date, "begin", p, f[H_BEGIN]);
		jsub_val(&date, "end", p, f[H_END]);
		jsub_close(&date);
	}
	json_errors(&meta, h);
	jsub_val(&meta, "generator", p, f[H_GENERATOR]);
	jsub_close(&meta);

	jsub_open(&pol, fb, "policy_published");
	jsub_val(&pol, "domain", p, f[H_DOMAIN]);
	jsub_val(&pol, "adkim", p, f[H_ADKIM]);
	jsub_val(&pol, "aspf", p, f[H_ASPF]);
	jsub_val(&pol, "p", p, f[H_P]);
	jsub_val(&pol, "sp", p, f[H_SP]);
	jsub_val(&pol, "pct", p, f[H_PCT]);
	jsub_val(&pol, "fo", p, f[H_FO]);
	jsub_val(&pol, "np", p, f[H_NP]);
	jsub_val(&pol, "testing", p, f[H_TESTING]);
	jsub_val(&pol, "discovery_method", p, f[H_DISCOVERY]);
	jsub_close(&pol);
}

static void
json_record(struct jobj *fb, const struct record *r)
{
	const struct pool	*p = &r->pool;
	const struct val	*f = r->f;
	struct jobj		 rec, row;
	struct jsub		 ident, auth, eval;

	jkey(fb, "record");
	wbuf_putc(fb->w, '{');
	rec.w = fb->w;
	rec.n = 0;

	jsub_open(&ident, &rec, "identifiers");
	jsub_val(&ident, "header_from", p, f[R_HEADER_FROM]);
	jsub_val(&ident, "envelope_from", p, f[R_ENVELOPE_FROM]);
	jsub_val(&ident, "envelope_to", p, f[R_ENVELOPE_TO]);
	jsub_close(&ident);

	jsub_open(&auth, &rec, "auth_results");
	if (r->ndkim > 0)
		json_list(jsub(&auth), "dkim", p, r->dkim, r->ndkim,
		    sizeof(*r->dkim), 0, 0);
	if (r->nspf > 0)
		json_list(jsub(&auth), "spf", p, r->spf, r->nspf,
		    sizeof(*r->spf), 1, 0);
	jsub_close(&auth);

	/* row is always there: ptrresolve fills its source_hostname */
	jkey(&rec, "row");
	wbuf_putc(rec.w, '{');
	row.w = rec.w;
	row.n = 0;
	jval(&row, "source_ip", p, f[R_SOURCE_IP]);
	jlit(&row, "source_hostname", "-");
	jval(&row, "count", p, f[R_COUNT]);
	jsub_open(&eval, &row, "policy_evaluated");
	jsub_val(&eval, "disposition", p, f[R_DISPOSITION]);
	jsub_val(&eval, "dkim", p, f[R_EVAL_DKIM]);
	jsub_val(&eval, "spf", p, f[R_EVAL_SPF]);
	if (r->nreason > 0)
		json_list(jsub(&eval), "reason", p, r->reason, r->nreason,
		    sizeof(*r->reason), 0, 1);
	jsub_close(&eval);
	wbuf_putc(rec.w, '}');
	wbuf_putc(rec.w, '}');
}

/* ---------------------------------------------------------- kv */

struct kv {
	struct wbuf	*w;
	int		 n;
};

static void
kv_raw(struct kv *k, const char *key, unsigned long idx, const char *s,
    size_t n)
{
	char	num[1 + NUM_ULONG_MAX];

	if (k->n++ > 0)
		wbuf_put(k->w, ", ", 2);
	wbuf_puts(k->w, key);
	if (idx > 0) {
		num[0] = '_';
		wbuf_put(k->w, num, 1 + num_format(num + 1, idx));
	}
	wbuf_put(k->w, "=\"", 2);
	put_escaped(k->w, s, n);
	wbuf_putc(k->w, '"');
}

static void
kv_val(struct kv *k, const char *key, unsigned long idx,
    const struct pool *p, struct val v)
{
	if (v.off != -1)
		kv_raw(k, key, idx, val_ptr(p, v), (size_t)v.len);
}

static void
kv_head(struct kv *k, const struct header *h)
{
	const struct pool	*hp = &h->pool;
	const struct val	*f = h->f;
	unsigned long		 i;

	kv_val(k, "date_range_begin", 0, hp, f[H_BEGIN]);
	kv_val(k, "date_range_end", 0, hp, f[H_END]);
	kv_val(k, "org_name", 0, hp, f[H_ORG_NAME]);
	kv_val(k, "email", 0, hp, f[H_EMAIL]);
	kv_val(k, "extra_contact_info", 0, hp, f[H_EXTRA_CONTACT]);
	kv_val(k, "extra_contact_info_lang", 0, hp, f[H_EXTRA_CONTACT_LANG]);
	kv_val(k, "report_id", 0, hp, f[H_REPORT_ID]);
	for (i = 0; i < h->nerr; i++) {
		kv_val(k, "error", i + 1, hp, h->err[i].text);
		kv_val(k, "error_lang", i + 1, hp, h->err[i].lang);
	}
	kv_val(k, "published_domain", 0, hp, f[H_DOMAIN]);
	kv_val(k, "published_adkim", 0, hp, f[H_ADKIM]);
	kv_val(k, "published_aspf", 0, hp, f[H_ASPF]);
	kv_val(k, "published_p", 0, hp, f[H_P]);
	kv_val(k, "published_sp", 0, hp, f[H_SP]);
	kv_val(k, "published_pct", 0, hp, f[H_PCT]);
	kv_val(k, "published_fo", 0, hp, f[H_FO]);
	kv_val(k, "published_np", 0, hp, f[H_NP]);
	kv_val(k, "published_testing", 0, hp, f[H_TESTING]);
	kv_val(k, "published_discovery_method", 0, hp, f[H_DISCOVERY]);
}

static void
kv_record(struct kv *k, const struct record *r)
{
	const struct pool	*rp = &r->pool;
	const struct val	*g = r->f;
	unsigned long		 i;

	kv_val(k, "source_ip", 0, rp, g[R_SOURCE_IP]);
	kv_raw(k, "source_hostname", 0, "-", 1);
	kv_val(k, "count", 0, rp, g[R_COUNT]);
	kv_val(k, "evaluated_disposition", 0, rp, g[R_DISPOSITION]);
	kv_val(k, "evaluated_dkim", 0, rp, g[R_EVAL_DKIM]);
	kv_val(k, "evaluated_spf", 0, rp, g[R_EVAL_SPF]);
	for (i = 0; i < r->nreason; i++) {
		kv_val(k, "evaluated_reason_type", i + 1, rp,
		    r->reason[i].type);
		kv_val(k, "evaluated_reason_comment", i + 1, rp,
		    r->reason[i].comment);
		kv_val(k, "evaluated_reason_comment_lang", i + 1, rp,
		    r->reason[i].comment_lang);
	}
	kv_val(k, "header_from", 0, rp, g[R_HEADER_FROM]);
	kv_val(k, "envelope_from", 0, rp, g[R_ENVELOPE_FROM]);
	kv_val(k, "envelope_to", 0, rp, g[R_ENVELOPE_TO]);
	for (i = 0; i < r->ndkim; i++) {
		kv_val(k, "dkim_domain", i + 1, rp, r->dkim[i].domain);
		kv_val(k, "dkim_selector", i + 1, rp, r->dkim[i].selector);
		kv_val(k, "dkim_result", i + 1, rp, r->dkim[i].result);
		kv_val(k, "dkim_human_result", i + 1, rp, r->dkim[i].human);
		kv_val(k, "dkim_human_result_lang", i + 1, rp,
		    r->dkim[i].human_lang);
	}
	for (i = 0; i < r->nspf; i++) {
		kv_val(k, "spf_domain", i + 1, rp, r->spf[i].domain);
		kv_val(k, "spf_scope", i + 1, rp, r->spf[i].scope);
		kv_val(k, "spf_result", i + 1, rp, r->spf[i].result);
		kv_val(k, "spf_human_result", i + 1, rp, r->spf[i].human);
		kv_val(k, "spf_human_result_lang", i + 1, rp,
		    r->spf[i].human_lang);
	}
}

/* ---------------------------------------------------------- common */

static void
hash_val(struct sha256 *s, const struct pool *p, struct val v)
{
	unsigned char	len[5];

	/* a tag byte and a length: absent, empty and "x" all differ */
	len[0] = v.off == -1 ? 'A' : 'P';
	len[1] = (unsigned char)((uint32_t)v.len >> 24);
	len[2] = (unsigned char)((uint32_t)v.len >> 16);
	len[3] = (unsigned char)((uint32_t)v.len >> 8);
	len[4] = (unsigned char)v.len;
	sha256_update(s, len, sizeof(len));
	if (v.off != -1)
		sha256_update(s, val_ptr(p, v), (size_t)v.len);
}

/*
 * The event's identifier: 24 hexadecimal digits from the SHA-256 hash of
 * the report's identity (computed once per report), then the record's
 * position as at least 8 more.  The same report converted again gives
 * the same identifiers; the prefix tells which events are one report's.
 */
static void
event_id(struct event_ctx *e, const struct header *h, unsigned long index,
    char out[EVENT_ID_MAX + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	struct sha256		 s;
	unsigned char		 md[32];
	uint64_t		 x = index;
	int			 i, n;

	if (!e->have_base) {
		sha256_init(&s);
		hash_val(&s, &h->pool, h->f[H_ORG_NAME]);
		hash_val(&s, &h->pool, h->f[H_REPORT_ID]);
		hash_val(&s, &h->pool, h->f[H_DOMAIN]);
		hash_val(&s, &h->pool, h->f[H_BEGIN]);
		hash_val(&s, &h->pool, h->f[H_END]);
		sha256_final(&s, md);
		for (i = 0; i < 12; i++) {
			e->idbase[2 * i] = hex[md[i] >> 4];
			e->idbase[2 * i + 1] = hex[md[i] & 0xf];
		}
		e->have_base = 1;
	}
	memcpy(out, e->idbase, 24);
	for (n = 8; n < 16 && x >> (4 * n) != 0; n++)
		;
	for (i = 0; i < n; i++)
		out[24 + i] = hex[(x >> (4 * (n - 1 - i))) & 0xf];
	out[24 + n] = '\0';
}

void
event_report(struct event_ctx *e)
{
	e->have_base = 0;
	e->have_head = 0;
}

/*
 * What comes before the record in a line: the header's fields (and
 * file_name in json), the same for every record of a report.  Returns
 * how many members or pairs it wrote.
 */
static int
head_write(struct event_ctx *e, struct wbuf *w, const struct header *h)
{
	struct jobj	fb = { w, 0 };
	struct kv	k = { w, 0 };

	if (e->format == FORMAT_KV) {
		kv_head(&k, h);
		return k.n;
	}
	wbuf_puts(w, "{\"feedback\": {");
	jval(&fb, "version", &h->pool, h->f[H_VERSION]);
	if (e->file_name != NULL)
		jlit(&fb, "file_name", e->file_name);
	json_header(&fb, h);
	return fb.n;
}

/*
 * The header's part, made once per header state into e->head (a memory
 * buffer) and copied into each line.  A header too big for e->head is
 * written out for each line instead.
 */
static int
head_put(struct event_ctx *e, struct wbuf *w, const struct header *h)
{
	if (!e->have_head || e->head_gen != h->gen) {
		wbuf_init(&e->head, -1);
		e->head_n = head_write(e, &e->head, h);
		e->head_gen = h->gen;
		e->have_head = 1;
	}
	if (e->head.err != 0)
		return head_write(e, w, h);
	wbuf_put(w, e->head.buf, e->head.len);
	return e->head_n;
}

void
event_write(struct event_ctx *e, struct wbuf *w, const struct header *h,
    const struct record *r)
{
	const char	*schema = schema_names[h->schema];
	const char	*ns = "";
	size_t		 nslen = 0;
	char		 id[EVENT_ID_MAX + 1];
	struct jobj	 fb = { w, 0 };
	struct kv	 k = { w, 0 };

	event_id(e, h, r->index, id);
	if (h->ns.off != -1) {
		ns = val_ptr(&h->pool, h->ns);
		nslen = (size_t)h->ns.len;
	}
	if (e->format == FORMAT_KV) {
		k.n = head_put(e, w, h);
		kv_record(&k, r);
		if (e->file_name != NULL)
			kv_raw(&k, "file_name", 0, e->file_name,
			    strlen(e->file_name));
		kv_raw(&k, "schema", 0, schema, strlen(schema));
		kv_raw(&k, "event_id", 0, id, strlen(id));
		kv_val(&k, "version", 0, &h->pool, h->f[H_VERSION]);
		kv_val(&k, "generator", 0, &h->pool, h->f[H_GENERATOR]);
		if (nslen > 0)
			kv_raw(&k, "xml_namespace", 0, ns, nslen);
		wbuf_putc(w, '\n');
		return;
	}
	fb.n = head_put(e, w, h);
	json_record(&fb, r);
	jlit(&fb, "schema", schema);
	jkey(&fb, "xml_namespace");
	jstr(w, ns, nslen);
	jlit(&fb, "event_id", id);
	wbuf_puts(w, "}}\n");
}
