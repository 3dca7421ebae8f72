/*
 * The maildir protocol between the stages (DESIGN.md section 3).
 *
 * A stage is a directory with tmp/ new/ cur/ fail/.  Everything works on
 * directory descriptors opened once, so the same code runs before and
 * after chroot(2) and inside a sandbox that forbids absolute paths.
 *
 * Producer: spool_create() -> write to item->fd -> spool_publish()
 *           (or spool_abort() to throw the half-written item away).
 * Consumer: spool_recover() at start, then for each name in new/:
 *           spool_claim() -> work -> spool_done() | spool_fail() |
 *           spool_retry().
 *
 * All functions return 0 on success and -1 with errno set, except where
 * said otherwise.  None of them print or exit.
 */
#ifndef DP_SPOOL_H
#define DP_SPOOL_H

#include <sys/types.h>

#include <stddef.h>

struct privdrop;

#define SPOOL_NAME_MAX	255

struct stage {
	int	dir;		/* the stage itself, e.g. SPOOL/xml */
	int	tmp, new, cur, fail;
	char	name[32];	/* "xml", for messages */
};

struct spool_item {
	struct stage	*st;
	int		 fd;	/* open for writing in tmp/ */
	char		 name[SPOOL_NAME_MAX + 1];
};

/*
 * Open stage `name` below the spool root `root` (a directory fd),
 * creating the stage and its four subdirectories (mode 0750) if they are
 * missing.  Symbolic links are refused.
 */
int	spool_open(struct stage *, int root, const char *name);
void	spool_close(struct stage *);

/*
 * A new unique name, "<sec>.M<usec>P<pid>Q<n>.<host>".  Returns -1 with
 * ENAMETOOLONG if it does not fit.
 */
int	spool_uniqname(char *buf, size_t len);

/*
 * A name derived from an input item: "<input>-<k>".  Replaying the same
 * input gives the same names, so publishing again meets EEXIST.
 */
int	spool_derived(char *buf, size_t len, const char *input,
	    unsigned long k);

/* Is this a name we may create or claim?  No '/', no leading '.'. */
int	spool_name_ok(const char *name);

/*
 * Up to `max` names waiting in new/, sorted (maildir names sort by
 * time).  The caller frees the list with spool_names_free().
 */
int	spool_list(struct stage *, size_t max, char ***namesp, size_t *np);
void	spool_names_free(char **, size_t);

/*
 * At a consumer's start: take the stage's shared worker lock and, when no
 * other worker holds it, move everything in cur/ back to new/ (what a
 * crashed run left).  *n counts.  The lock lasts until spool_close().
 */
int	spool_recover(struct stage *, unsigned long *n);

/*
 * Files dropped loose into the stage's own directory, by a person or a
 * script that can't do tmp/ and new/: each regular file unchanged for
 * `quiet` seconds (so not still being written) moves into new/ under a
 * unique name, "<unique>,<original>".  *n counts.  Uses uname(2): call
 * it before the sandbox.
 */
int	spool_adopt(struct stage *, time_t quiet, unsigned long *n);

/*
 * Claim new/NAME by renaming it to cur/NAME and open it read-only.
 * errno ENOENT means another worker was faster: not an error.  Returns
 * 1, with no descriptor, when it is claimed but is not a regular file
 * (spool_kind() says what it is): it is never opened, for the caller
 * to fail.
 */
int	spool_claim(struct stage *, const char *name, int *fdp);
/* What cur/NAME is, for a message: "a symbolic link", "a FIFO", ... */
const char *spool_kind(struct stage *, const char *name);
int	spool_done(struct stage *, const char *name);
/* cur/NAME -> new/NAME, for a temporary failure. */
int	spool_retry(struct stage *, const char *name);
/*
 * Write fail/NAME.why with `why` and a newline, then cur/NAME -> fail/.
 * A name with no room left for ".why" moves without it: log the reason.
 */
int	spool_fail(struct stage *, const char *name, const char *why);

/* Open tmp/NAME for a new item (O_EXCL; a stale tmp/NAME is replaced). */
/* What became of a claimed item, as the program's handler says. */
enum spool_fate {
	SPOOL_DONE,	/* its outputs are published: the item goes */
	SPOOL_FAIL,	/* refused for good: to fail/, why[] beside it */
	SPOOL_RETRY,	/* a temporary fault, said: back to new/ */
};

/*
 * Handle the claimed item `name`, open read-only on `fd` (the handler
 * closes it); on SPOOL_FAIL, put the reason in why[].
 */
typedef enum spool_fate	(*spool_handler)(void *arg, const char *name,
			    int fd, char *why, size_t whylen);

/*
 * The consumer's half of the protocol, once over new/: claim each item,
 * hand it to `fn` and carry out its fate, saying what moved where.
 * Returns the number of items seen (0: nothing waits), or -1 after a
 * temporary fault, which ends the pass: the caller exits 75.
 */
long	spool_consume(struct stage *, spool_handler fn, void *arg);

int	spool_create(struct stage *, const char *name, struct spool_item *);
/*
 * fsync and close the item, link it to new/NAME, remove tmp/NAME and
 * fsync new/.  Returns 0 when published, 1 when new/NAME already
 * existed, 2 when cur/NAME did (a replay, the item published before and
 * now in a consumer's hands): the tmp file is removed, nothing is
 * replaced.
 */
int	spool_publish(struct spool_item *);
void	spool_abort(struct spool_item *);
/*
 * The second half of spool_publish(), for a tmp/NAME already written,
 * synced and closed: link it to new/NAME, remove tmp/NAME and, with
 * sync, fsync new/ (without, the caller does, once for many).  Returns
 * 0, 1 when new/NAME was already there, 2 when cur/NAME was, -1 with
 * errno ENOENT when there is no tmp/NAME.
 */
int	spool_relink(struct stage *, const char *name, int sync);

/*
 * A spool program's start: open the spool directory and drop privileges
 * (into it, as the new root, when started as root), saying why when it
 * can't.  Returns 0 with the directory's descriptor in *root, or the exit
 * status.
 */
int	spool_start(const char *dir, const struct privdrop *, int *root);

/*
 * Open stage `name` below the spool (made if missing) and, for a
 * consumer, recover its cur/, saying what happened.  Returns 0 or the
 * exit status.
 */
int	spool_stage(struct stage *, int root, const char *dir,
	    const char *name, int consumer);

#endif
