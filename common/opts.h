/*
 * What every program's option parsing shares: -k (key=value log lines),
 * -l level, -L limit=value, -u user, numeric arguments, and the check of -u against who runs us.
 */
#ifndef DP_OPTS_H
#define DP_OPTS_H

#include "limit.h"
#include "privdrop.h"

/*
 * Handle -k, -l, -u and (when lim is not NULL) -L.  Returns 1 when `ch` was
 * one of them, 0 when it is not, -1 on a bad value (said).
 */
int		opt_shared(int ch, const char *arg, struct limits *lim,
		    const char **user);
/* A number in [min, max] for option ch (min >= 0), or -1 (said). */
long long	opt_num(int ch, const char *arg, long long min, long long max);
/* privdrop_prepare(), its refusal said: 0 or the exit status. */
int		opt_privdrop(struct privdrop *, const char *user);

#endif
