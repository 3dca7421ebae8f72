/*
 * One aggregate report as rua2kv sees it while streaming: the header
 * (report_metadata and policy_published, kept for the whole report) and
 * the current record (reset at every <record>).  Values live in two
 * byte pools; a `struct val` is an offset and a length into its pool,
 * with off == -1 for an element that was absent.  Both schemas map onto
 * this one model: RFC 9990's elements are just more fields.
 */
#ifndef RUA2KV_REPORT_H
#define RUA2KV_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "limit.h"

struct val {
	int32_t	off;	/* -1: absent */
	int32_t	len;
};

struct pool {
	char	*buf;
	size_t	 len, cap, max;
};

/* Header fields, in the order TA-dmarc emits them. */
enum hfield {
	H_VERSION,
	H_ORG_NAME, H_EMAIL, H_EXTRA_CONTACT, H_EXTRA_CONTACT_LANG,
	H_REPORT_ID, H_BEGIN, H_END, H_GENERATOR,
	H_DOMAIN, H_ADKIM, H_ASPF, H_P, H_SP, H_PCT, H_FO, H_NP, H_TESTING,
	H_DISCOVERY,
	H_NFIELDS
};

/* Record fields that occur once. */
enum rfield {
	R_SOURCE_IP, R_COUNT, R_DISPOSITION, R_EVAL_DKIM, R_EVAL_SPF,
	R_HEADER_FROM, R_ENVELOPE_FROM, R_ENVELOPE_TO,
	R_NFIELDS
};

/* A <dkim> or <spf> result: all fields of both, unused ones absent. */
struct authres {
	struct val	domain, selector, scope, result, human, human_lang;
};

struct reason {
	struct val	type, comment, comment_lang;
};

struct error_item {
	struct val	text, lang;
};

enum schema { SCHEMA_RFC7489, SCHEMA_RFC9990, SCHEMA_UNKNOWN };

struct header {
	struct pool	 pool;
	struct val	 f[H_NFIELDS];
	struct error_item *err;
	size_t		 nerr, cerr;
	enum schema	 schema;
	struct val	 ns;		/* namespace URI of <feedback> */
	unsigned long	 gen;		/* changes whenever the above do */
};

struct record {
	struct pool	 pool;
	unsigned long	 index;		/* 1-based, in document order */
	struct val	 f[R_NFIELDS];
	struct authres	*dkim, *spf;
	size_t		 ndkim, cdkim, nspf, cspf;
	struct reason	*reason;
	size_t		 nreason, creason;
};

static inline const char *
val_ptr(const struct pool *p, struct val v)
{
	return p->buf + v.off;
}

#endif
