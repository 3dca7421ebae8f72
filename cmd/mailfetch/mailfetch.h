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

/* Microsoft 365: where, who, and through which proxy. */
struct o365 {
	const char	*login;		/* o365_login_url, no trailing '/' */
	const char	*api;		/* o365_graph_url, no trailing '/' */
	const char	*tenant;
	const char	*client_id;
	char		*secret;	/* from the secrets file */
	const char	*proxy;		/* "http://host:port", or NULL */
	const char	*proxy_user;
	char		*proxy_pass;
};

struct fetch {
	struct server	 srv;
	int		 imap;		/* else POP3 */
	int		 graph;		/* o365: neither */
	struct o365	 o365;
	char		*pass;
	int		 keep_pass;	/* -w: every pass logs in again */
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
	int		 check;		/* -t: log in, look, take nothing */
	long		 count;		/* -t: messages in the folder, or -1 */
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
 * Taking messages into mail/: take_begin() makes the tmp file, bytes go
 * in through take_sink() (counted against message_bytes), take_close()
 * syncs and closes it, and take_commit() notes a batch of them in the
 * state and publishes them.  The caller fills in key and date before
 * the commit.  The bytes are gathered TAKE_BUF at a time, so that the
 * writes are as many as the message's size says, however the network
 * cut it up.
 */
#define TAKE_BUF	65536
struct taking {
	struct spool_item	 item;
	char			*buf;		/* TAKE_BUF, while it is open */
	size_t			 used;
	unsigned long long	 n;
	long long		 limit;
	int			 over, err;
	char			 key[STATE_KEY_MAX + 1];
	char			 date[STATE_DATE_MAX + 1];	/* or "" */
	int			 received;	/* whole in tmp/, synced */
	int			 taken;		/* published */
};
int		take_begin(struct fetch *, struct taking *);
int		take_sink(void *arg, const void *p, size_t n);
/* The message again from its first byte (a retried download). */
int		take_restart(struct taking *);
/* Sync and close tmp/NAME; one over the limit or unwritable goes. */
enum pass	take_close(struct taking *);
/* Record and publish what v[0..n) received; said. */
enum pass	take_commit(struct fetch *, struct state *, struct taking *v,
		    size_t n);
/* Remove the tmp files of what was not published, on a failure. */
void		take_drop(struct taking *v, size_t n);

/*
 * The Subject fields of a mail's header block, wherever they are in it,
 * up to HDR_KEEP bytes: the other fields, however long, pass by.
 */
#define HDR_KEEP	(64 * 1024)
struct hdrbuf {
	char	buf[HDR_KEEP];
	size_t	n;
	int	bol;		/* at the start of a line */
	int	keep;		/* in a Subject field */
	size_t	col;		/* bytes of "subject:" matched */
};
void		hdr_reset(struct hdrbuf *);
/* A conn_sink that keeps the Subject fields of what goes through. */
int		hdr_sink(void *arg, const void *p, size_t n);

/*
 * At a pass's start: the tmp files of 'p' entries that a crash left
 * unpublished are published now.  Returns 0 or -1 (said).
 */
int		republish_all(struct fetch *, struct state *);

/*
 * At a pass's end: the journal synced and closed, the state freed.
 * Returns p, or PASS_TEMP for a PASS_OK when that failed (said).
 */
enum pass	journal_end(struct state *, enum pass p);

/*
 * One pass over the mailbox, logged in on c.  POP3's ends the session
 * (QUIT commits its deletions); IMAP's leaves it open for
 * imap_idle() or imap_logout().
 */
enum pass	imap_pass(struct fetch *, struct conn *);
enum pass	pop3_pass(struct fetch *, struct conn *);
void		imap_logout(struct fetch *, struct conn *);
/* Microsoft 365: set up (before the sandbox), then a pass each time. */
enum pass	graph_start(struct fetch *);
enum pass	graph_pass(struct fetch *);
void		graph_end(void);	/* the token wiped */
enum pass	imap_idle(struct fetch *, struct conn *, long secs,
		    volatile sig_atomic_t *stop, int *news);

#endif
