/*
 * What mailfetch remembers about one mailbox, in SPOOL/state/: for each
 * message (IMAP UID under one UIDVALIDITY, or POP3 UIDL) whether it was
 * not a report ('i'), is fetched into mail/tmp and maybe published but
 * not yet acted on at the server ('p', with its spool name), or handled
 * ('d').  The file is a journal: records are appended, one write(2)
 * each, and the whole is rewritten (tmp file, fsync, rename) at the
 * start of a pass with what still exists on the server.  A torn last
 * line (a crash mid-write) is ignored.
 */
#ifndef MAILFETCH_STATE_H
#define MAILFETCH_STATE_H

#include <stddef.h>

#define STATE_KEY_MAX	255	/* a Graph message id is about 150 */
#define STATE_DATE_MAX	10	/* YYYY-MM-DD */

struct sent {
	char	*key;
	char	*name;		/* the spool name, for 'p' */
	char	 kind;		/* 'i', 'p', 'd' */
	char	 date[STATE_DATE_MAX + 1];	/* for 'p': the move-to date */
	int	 live;		/* seen on the server this pass */
};

struct state {
	int		 dir;		/* SPOOL/state */
	int		 fd;		/* the journal, appending */
	char		 file[80];
	char		 validity[24];	/* IMAP UIDVALIDITY, or "-" */
	char		 subjects[24];	/* which markers the 'i's used */
	struct sent	*tab;		/* open addressing on key */
	size_t		 cap, n;
};

/*
 * Open (or start) the state of mailbox `id` (e.g. "imap://user@host:993/
 * INBOX") below dir.  Returns 0, or -1 with why[] said.
 */
int		 state_open(struct state *, int dir, const char *id,
		    char *why, size_t whylen);
/* Close the journal and free the entries: -1 (errno) when close fails. */
int		 state_close(struct state *);

struct sent	*state_get(struct state *, const char *key);

/*
 * Append a record and apply it; with sync, fsync the journal first.
 * Returns 0 or -1 (errno set).
 */
int		 state_note(struct state *, char kind, const char *key,
		    const char *name, const char *date, int sync);

/*
 * Rewrite the journal with validity, subjects and only the entries that
 * are live, and make those the whole state.  Clears every live flag.
 */
int		 state_rewrite(struct state *, const char *validity,
		    const char *subjects);

/* Calls fn for each entry (order unspecified). */
void		 state_each(struct state *, void (*fn)(void *, struct sent *),
		    void *arg);

#endif
