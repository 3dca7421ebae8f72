/*
 * Privilege separation (DESIGN.md section 4).  A program started as root
 * must be told which user to become (-u); it looks the user up first,
 * opens what it needs, then calls privdrop_apply(), which optionally
 * chroots, drops groups, gid and uid, and proves root can't come back.
 * Started as anybody else, both calls are no-ops (or refuse -u).
 */
#ifndef DP_PRIVDROP_H
#define DP_PRIVDROP_H

#include <sys/types.h>

#include "sandbox.h"

struct privdrop {
	int	active;		/* 1 when privdrop_apply() has work to do */
	uid_t	uid;
	gid_t	gid;
	char	user[64];
};

/*
 * Decide what to do for `user` (the -u argument, or NULL).  Returns 0, or
 * -1 with a static reason in *why: root without -u, -u by a non-root
 * user, unknown user, a user that is root.
 */
int	privdrop_prepare(struct privdrop *, const char *user,
	    const char **why);
/*
 * Drop to the prepared user; chroot to `jail` first if it is not NULL.
 * Returns 0, or -1 with *why naming the step that failed (errno set).
 */
int	privdrop_apply(const struct privdrop *, const char *jail,
	    const char **why);

/*
 * privdrop_apply(), then sandbox_enter(kind, dir), each failure said.
 * Returns 0 or the exit status to leave with.
 */
int	confine(const struct privdrop *, const char *jail,
	    int kinds, const char *dir);
/*
 * The sandbox of a spool program, whose privileges spool_start() has
 * dropped: SANDBOX_SPOOL and `kinds` on the spool `dir`.  Returns 0 or
 * the exit status, said.
 */
int	confine_spool(const struct privdrop *, int kinds, const char *dir);

#endif
