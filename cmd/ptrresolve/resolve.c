/*
 * The cache is a chained hash of entries keyed by the binary address.
 * An entry is QUEUED (waiting for a slot), ASKED (a query in flight) or
 * DONE.  Lines hold references; a DONE entry no line holds sits on an
 * LRU list, from whose old end entries go when the cache is full, and
 * an expired one is asked again when a line wants it.
 *
 * udns reports SERVFAIL, REFUSED and no answer at all alike, as
 * DNS_E_TEMPFAIL: an answer that came before the first try's timeout
 * ran out was a server's failure, a later one is "timeout".
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <udns.h>

#include "log.h"
#include "resolve.h"

#define CACHE_MAX	65536		/* entries kept */
#define NBUCKETS	16384
#define TTL_NEGATIVE	300		/* nxdomain, noanswer */
#define TTL_FAILURE	60		/* servfail, timeout */
#define TTL_MAX		86400

enum state { QUEUED, ASKED, CONFIRMING, DONE };

struct entry {
	struct answer	 a;		/* first: lines see only this */
	struct resolver	*r;
	enum state	 state;
	int		 family;
	unsigned char	 addr[16];
	char		*name;		/* the PTR name, -F pending */
	time_t		 asked, expires;
	int		 refs;
	struct entry	*hnext;		/* hash chain */
	struct entry	*prev, *next;	/* the queue or the LRU list */
};

struct list {
	struct entry	*head, *tail;
};

struct resolver {
	struct dns_ctx	*ctx;
	struct res_opts	 o;
	struct entry	*buckets[NBUCKETS];
	size_t		 count;
	struct list	 queue, lru;
	int		 asked;		/* in flight */
	unsigned long	 queries;
};

static void
list_add(struct list *l, struct entry *e)
{
	e->next = NULL;
	e->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
}

static void
list_del(struct list *l, struct entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

static unsigned
hash(int family, const unsigned char *a)
{
	uint32_t	h = 2166136261u;
	int		i, n = family == AF_INET ? 4 : 16;

	for (i = 0; i < n; i++)
		h = (h ^ a[i]) * 16777619u;
	return h % NBUCKETS;
}

static void
entry_free(struct resolver *r, struct entry *e)
{
	struct entry	**pp;

	for (pp = &r->buckets[hash(e->family, e->addr)]; *pp != e;
	    pp = &(*pp)->hnext)
		;
	*pp = e->hnext;
	free((char *)e->a.text);
	free((char *)e->a.unconfirmed);
	free(e->name);
	free(e);
	r->count--;
}

static void
set_text(struct entry *e, const char *text, const char *unconfirmed,
    unsigned ttl, time_t now)
{
	char	*t, *u = NULL;

	if ((t = strdup(text)) == NULL || (unconfirmed != NULL &&
	    (u = strdup(unconfirmed)) == NULL)) {
		log_errorx("out of memory");
		exit(EX_OSERR);
	}
	free((char *)e->a.text);
	free((char *)e->a.unconfirmed);
	e->a.text = t;
	e->a.unconfirmed = u;
	e->a.done = 1;
	e->state = DONE;
	e->expires = now + (ttl > TTL_MAX ? TTL_MAX : ttl);
}

/* After a query: an entry nobody holds goes on the LRU list. */
static void
settle(struct resolver *r, struct entry *e)
{
	r->asked--;
	if (e->refs == 0)
		list_add(&r->lru, e);
}

/* What a failed lookup is called. */
static const char *
failure(struct resolver *r, struct entry *e, int status)
{
	switch (status) {
	case DNS_E_NXDOMAIN:
		return "nxdomain";
	case DNS_E_NODATA:
		return "noanswer";
	case DNS_E_TEMPFAIL:
		return time(NULL) - e->asked >= r->o.timeout ? "timeout" :
		    "servfail";
	default:
		return "servfail";
	}
}

static int
has_addr(const struct entry *e, const void *addrs, int n, size_t size)
{
	int	i;

	for (i = 0; i < n; i++)
		if (memcmp((const char *)addrs + (size_t)i * size, e->addr,
		    size) == 0)
			return 1;
	return 0;
}

static void
confirmed(struct resolver *r, struct entry *e, int match, unsigned ttl)
{
	if (match)
		set_text(e, e->name, NULL, ttl, time(NULL));
	else
		set_text(e, "unconfirmed", e->name, ttl, time(NULL));
	settle(r, e);
}

static void
got_a4(struct dns_ctx *ctx, struct dns_rr_a4 *rr, void *data)
{
	struct entry	*e = data;

	(void)ctx;
	confirmed(e->r, e, rr != NULL && has_addr(e, rr->dnsa4_addr,
	    rr->dnsa4_nrr, sizeof(struct in_addr)), rr != NULL ?
	    rr->dnsa4_ttl : TTL_FAILURE);
	free(rr);
}

static void
got_a6(struct dns_ctx *ctx, struct dns_rr_a6 *rr, void *data)
{
	struct entry	*e = data;

	(void)ctx;
	confirmed(e->r, e, rr != NULL && has_addr(e, rr->dnsa6_addr,
	    rr->dnsa6_nrr, sizeof(struct in6_addr)), rr != NULL ?
	    rr->dnsa6_ttl : TTL_FAILURE);
	free(rr);
}

static void
got_ptr(struct dns_ctx *ctx, struct dns_rr_ptr *rr, void *data)
{
	struct entry	*e = data;
	struct resolver	*r = e->r;
	char		*name, *p;
	size_t		 n;
	int		 status = dns_status(ctx);
	void		*q;

	if (rr == NULL || rr->dnsptr_nrr == 0) {
		set_text(e, failure(r, e, rr == NULL ? status :
		    DNS_E_NODATA), NULL, status == DNS_E_TEMPFAIL ?
		    TTL_FAILURE : TTL_NEGATIVE, time(NULL));
		free(rr);
		settle(r, e);
		return;
	}
	/* TA-dmarc's choice: the last name, lower-case, absolute */
	n = strlen(rr->dnsptr_ptr[rr->dnsptr_nrr - 1]);
	if ((name = malloc(n + 2)) == NULL) {
		log_errorx("out of memory");
		exit(EX_OSERR);
	}
	memcpy(name, rr->dnsptr_ptr[rr->dnsptr_nrr - 1], n + 1);
	for (p = name; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (n == 0 || name[n - 1] != '.')
		memcpy(name + n, ".", 2);
	if (!r->o.confirm) {
		set_text(e, name, NULL, rr->dnsptr_ttl, time(NULL));
		free(name);
		free(rr);
		settle(r, e);
		return;
	}
	free(rr);
	free(e->name);
	e->name = name;
	e->state = CONFIRMING;
	r->queries++;
	q = e->family == AF_INET ?
	    (void *)dns_submit_a4(ctx, name, DNS_NOSRCH, got_a4, e) :
	    (void *)dns_submit_a6(ctx, name, DNS_NOSRCH, got_a6, e);
	if (q == NULL)
		confirmed(r, e, 0, TTL_FAILURE);
}

/* Send what waits, up to the limit in flight. */
static void
submit(struct resolver *r, time_t now)
{
	struct entry	*e;
	void		*q;

	while (r->asked < r->o.inflight && (e = r->queue.head) != NULL) {
		list_del(&r->queue, e);
		e->state = ASKED;
		e->asked = now;
		r->asked++;
		r->queries++;
		q = e->family == AF_INET ?
		    (void *)dns_submit_a4ptr(r->ctx,
		    (const struct in_addr *)e->addr, got_ptr, e) :
		    (void *)dns_submit_a6ptr(r->ctx,
		    (const struct in6_addr *)e->addr, got_ptr, e);
		if (q == NULL) {
			set_text(e, "servfail", NULL, TTL_FAILURE, now);
			settle(r, e);
		}
	}
}

int
res_server(const char *spec, struct sockaddr_storage *ssp)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	char			 host[64], *colon;
	const char		*port = "53";
	long			 p;
	char			*end;

	if (spec[0] == '[') {
		(void)snprintf(host, sizeof(host), "%s", spec + 1);
		if ((colon = strchr(host, ']')) == NULL)
			goto bad;
		*colon = '\0';
		if (colon[1] == ':')
			port = spec + (colon - host) + 3;
		else if (colon[1] != '\0')
			goto bad;
	} else {
		(void)snprintf(host, sizeof(host), "%s", spec);
		if ((colon = strchr(host, ':')) != NULL &&
		    strchr(colon + 1, ':') == NULL) {
			*colon = '\0';
			port = spec + (colon - host) + 1;
		}
	}
	p = strtol(port, &end, 10);
	if (*port == '\0' || *end != '\0' || p < 1 || p > 65535)
		goto bad;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
	} else
		return -1;
	if (ssp != NULL)
		*ssp = ss;
	return 0;
bad:
	return -1;
}

struct resolver *
res_new(const struct res_opts *o)
{
	struct resolver		 *r;
	struct sockaddr_storage	  ss;
	const char		**s;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_errorx("out of memory");
		return NULL;
	}
	r->o = *o;
	/* udns copies a new context from its default one, set up first */
	if (dns_init(NULL, 0) < 0 || (r->ctx = dns_new(NULL)) == NULL) {
		log_errorx("can't set up the resolver (udns)");
		goto fail;
	}
	if (o->servers != NULL) {
		/* only these: never what /etc/resolv.conf says */
		(void)dns_add_serv(r->ctx, NULL);
		(void)dns_add_srch(r->ctx, NULL);
		for (s = o->servers; *s != NULL; s++)
			if (res_server(*s, &ss) == -1 ||
			    dns_add_serv_s(r->ctx, (struct sockaddr *)&ss) < 0) {
				log_errorx("-s %s: can't use it", *s);
				goto fail;
			}
	}
	(void)dns_set_opt(r->ctx, DNS_OPT_TIMEOUT, o->timeout);
	(void)dns_set_opt(r->ctx, DNS_OPT_NTRIES, o->retries + 1);
	if (dns_open(r->ctx) < 0) {
		log_errorx("can't open the resolver's socket: %s",
		    strerror(errno));
		goto fail;
	}
	return r;
fail:
	if (r->ctx != NULL)
		dns_free(r->ctx);
	free(r);
	return NULL;
}

int
res_fd(const struct resolver *r)
{
	return dns_sock(r->ctx);
}

struct answer *
res_lookup(struct resolver *r, const char *ip)
{
	struct entry	*e;
	unsigned char	 a[16];
	int		 family;
	unsigned	 h;
	time_t		 now = time(NULL);

	if (inet_pton(AF_INET, ip, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, ip, a) == 1)
		family = AF_INET6;
	else
		return NULL;
	h = hash(family, a);
	for (e = r->buckets[h]; e != NULL; e = e->hnext)
		if (e->family == family && memcmp(e->addr, a,
		    family == AF_INET ? 4 : 16) == 0)
			break;
	if (e != NULL) {
		if (e->refs++ == 0 && e->state == DONE)
			list_del(&r->lru, e);
		if (e->state == DONE && e->expires <= now) {
			e->a.done = 0;
			e->state = QUEUED;
			list_add(&r->queue, e);
			submit(r, now);
		}
		return &e->a;
	}
	/* full: the least recently used entry nobody holds goes */
	if (r->count >= CACHE_MAX && r->lru.head != NULL) {
		e = r->lru.head;
		list_del(&r->lru, e);
		entry_free(r, e);
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		log_errorx("out of memory");
		exit(EX_OSERR);
	}
	e->r = r;
	e->family = family;
	memcpy(e->addr, a, sizeof(a));
	e->refs = 1;
	e->hnext = r->buckets[h];
	r->buckets[h] = e;
	r->count++;
	e->state = QUEUED;
	list_add(&r->queue, e);
	submit(r, now);
	return &e->a;
}

void
res_release(struct resolver *r, struct answer *a)
{
	struct entry	*e = (struct entry *)a;

	if (--e->refs == 0 && e->state == DONE)
		list_add(&r->lru, e);
}

int
res_busy(const struct resolver *r)
{
	return r->asked > 0 || r->queue.head != NULL;
}

int
res_wait(struct resolver *r, time_t now)
{
	int	s;

	submit(r, now);
	if (r->asked == 0)
		return -1;
	s = dns_timeouts(r->ctx, -1, now);
	submit(r, now);
	return s < 0 ? 1000 : s * 1000;
}

void
res_readable(struct resolver *r, time_t now)
{
	dns_ioevent(r->ctx, now);
	submit(r, now);
}

unsigned long
res_queries(const struct resolver *r)
{
	return r->queries;
}
