/*
 * What the IMAP and POP3 halves of mailfetch share: the settings of one
 * mailbox, the spool and state they write, and the local half of taking
 * a message (spool it, then say so in the state).
 */
#ifndef MAILFETCH_H
#define MAILFETCH_H

#include <signal.h>

#include "conn.h"
#include "names.h"
#include "spool.h"
#include "state.h"

enum action { ACT_MOVE, ACT_DELETE, ACT_MARK_READ };

struct fetch {
	struct server	 srv;
	int		 imap;		/* else POP3 */
	char		*pass;
	const char	*folder;	/* UTF-8, as configured */
	enum action	 action;
	const char	*moveto;
	const char *const *markers;
	char		 markers_id[24];	/* a hash of the markers */
	long long	 message_bytes;
	long		 max_messages;
	int		 can_idle;	/* the IMAP server has IDLE */
	struct stage	 mail;
	int		 statedir;
	/* this pass */
	unsigned long	 got, skipped, acted;
};

/*
 * How a pass ended, worst first; each maps to an exit status in
 * mailfetch.c.
 */
enum pass {
	PASS_OK,
	PASS_TEMP,		/* try again later: the spool, a cut-off */
	PASS_UNREACHABLE,
	PASS_TLS,
	PASS_LOGIN,
	PASS_FOLDER,		/* the mailbox folder doesn't exist */
	PASS_PROTOCOL,
	PASS_DISK,		/* the spool can't take more */
};

enum pass	pass_of(enum conn_fault);

/* Log in: the connection, or the pass's end said. */
enum pass	session_open(struct fetch *, struct conn *);

/*
 * Receive a message of n bytes from c into a new item of mail/ and
 * note it in st under key ('p', with date) before it is published.
 * Returns PASS_OK with *taken 1, or PASS_OK with *taken 0 when the
 * message was refused (over the size limit: said), or the fault.
 */
enum pass	take(struct fetch *, struct conn *, struct state *,
		    const char *key, const char *date, unsigned long long n,
		    int *taken);
/*
 * The same for a reader that produces the bytes itself (POP3's
 * dot-stuffing): begin, then write through sink, then finish.
 */
struct taking {
	struct spool_item	 item;
	unsigned long long	 n;
	long long		 limit;
	int			 over, err;
};
int		take_begin(struct fetch *, struct taking *);
int		take_sink(void *arg, const void *p, size_t n);
enum pass	take_finish(struct fetch *, struct taking *, struct state *,
		    const char *key, const char *date, int *taken);

/*
 * At a pass's start: the tmp files of 'p' entries that a crash left
 * unpublished are published now.  Returns 0 or -1 (said).
 */
int		republish_all(struct fetch *, struct state *);

/*
 * One pass over the mailbox, logged in on c.  POP3's ends the session
 * (QUIT commits its deletions); IMAP's leaves it open for
 * imap_idle() or imap_logout().
 */
enum pass	imap_pass(struct fetch *, struct conn *);
enum pass	pop3_pass(struct fetch *, struct conn *);
void		imap_logout(struct fetch *, struct conn *);
enum pass	imap_idle(struct fetch *, struct conn *, long secs,
		    volatile sig_atomic_t *stop, int *news);

#endif
