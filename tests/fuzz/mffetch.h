/*
 * What the mailfetch targets share: one mailbox's settings, as
 * mailfetch.c would make them from a dmarcpipe.conf that sets only the
 * server (every other value is conf.c's default), and the spool and
 * state a pass writes, in a directory of their own.
 */
#ifndef FUZZ_MFFETCH_H
#define FUZZ_MFFETCH_H

#include <stddef.h>

#include "mailfetch.h"

/*
 * Once, at start: f set up for protocol "imap", "pop3" or "o365", its
 * spool and state below a new temporary directory (on /dev/shm when
 * there is one, since every message taken is synced), which goes at
 * exit.
 */
void	mffetch_init(struct fetch *f, const char *protocol);

/*
 * Per input: the first byte of the input picks what a configuration
 * would: bits 0-1 mailserver_action (move, delete, mark_read, move),
 * bit 2 -t (look, take nothing), bits 3-7 how many bytes the server
 * gives per read (0: as many as asked).  Returns that read size.
 */
size_t	mffetch_options(struct fetch *f, unsigned char opt);

/*
 * An input holds one pass over the mailbox or more: after the option
 * byte, the server's side of each, apart by a line "==pass==", so that
 * a pass meets the state and the spool the ones before it left (what a
 * refused action or a cut-off left to do, a changed UIDVALIDITY), as
 * `mailfetch -w` or the next cron run does.  Sets *p and *n to the next
 * pass's bytes and returns 1, or returns 0 when there are no more.
 */
int	mffetch_pass(const unsigned char **data, size_t *size,
	    const unsigned char **p, size_t *n);

/*
 * After each input: every file the passes made in the spool and the
 * state goes, so no input depends on what one before it left.
 */
void	mffetch_clear(void);

#endif
