/*
 * PTR lookups with udns: one query per distinct address, many in flight,
 * every answer cached (negative ones too) for its TTL, the cache bounded.
 * An answer is the text source_hostname gets: the name, lower-case with
 * its trailing dot, or nxdomain, noanswer, servfail or timeout.
 */
#ifndef PTRRESOLVE_RESOLVE_H
#define PTRRESOLVE_RESOLVE_H

#include <time.h>

struct resolver;

struct answer {
	int		 done;		/* text is set */
	const char	*text;		/* for source_hostname */
	const char	*unconfirmed;	/* -F: the name that failed, or NULL */
};

/* udns keeps at most this many servers */
#define RES_SERVERS_MAX	6

struct res_opts {
	const char	**servers;	/* "addr[:port]", NULL-terminated, or
					   NULL: /etc/resolv.conf */
	int		  timeout;	/* seconds for the first try */
	int		  retries;	/* tries after the first */
	int		  inflight;	/* queries at once */
	int		  confirm;	/* -F */
};

/*
 * A -s argument: "addr", "addr:port" or "[v6]:port".  Returns 0 (the
 * address in *ss unless NULL) or -1.
 */
struct sockaddr_storage;
int		 res_server(const char *spec, struct sockaddr_storage *ss);

/* Set up and open the socket (before the sandbox).  NULL: said. */
struct resolver	*res_new(const struct res_opts *);
int		 res_fd(const struct resolver *);

/*
 * The answer for the address `ip` (text), maybe still pending; it stays
 * valid until res_release().  NULL when `ip` is not an IPv4 or IPv6
 * address.  Out of memory, it says so and exits.
 */
struct answer	*res_lookup(struct resolver *, const char *ip);
void		 res_release(struct resolver *, struct answer *);

/* Queries queued or in flight. */
int		 res_busy(const struct resolver *);
/* Milliseconds poll(2) may wait; work after it. */
int		 res_wait(struct resolver *, time_t now);
void		 res_readable(struct resolver *, time_t now);
/* Lookups made so far, for the log. */
unsigned long	 res_queries(const struct resolver *);

#endif
