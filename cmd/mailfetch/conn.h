/*
 * One connection to the mail server.  libcurl connects, verifies the
 * certificate, upgrades with STARTTLS and logs in (CURLOPT_CONNECT_ONLY);
 * after that we speak IMAP or POP3 ourselves over curl_easy_send() and
 * curl_easy_recv(), so that every command, every literal and every byte
 * count is ours to check, and every wait has a timeout.
 */
#ifndef MAILFETCH_CONN_H
#define MAILFETCH_CONN_H

#include <curl/curl.h>

#include <stddef.h>

struct server {
	const char	*scheme;	/* "imap", "imaps", "pop3", "pop3s" */
	const char	*host;
	int		 port;
	const char	*user;
	int		 plaintext_ok;	/* no STARTTLS is no refusal */
	long		 connect_timeout; /* seconds, connect and login */
	long		 io_timeout;	/* seconds without progress */
	struct curl_slist *resolve;	/* "host:port:addr,...", looked up
					   before the sandbox */
	struct curl_blob ca;		/* the CA certificates, read before */
};

struct conn {
	CURL		*curl;
	curl_socket_t	 fd;
	long		 timeout_ms;
	unsigned char	*buf;		/* received, not yet used */
	size_t		 off, len, cap;
	size_t		 line_max;
	char		 err[CURL_ERROR_SIZE];
	char		 label[300];	/* "host:port", for messages */
};

/*
 * What went wrong, for the exit status: each has its own (mailfetch(1)
 * EXIT STATUS).
 */
enum conn_fault {
	CONN_OK,
	CONN_UNREACHABLE,	/* no connection, no greeting, cut off */
	CONN_TLS,		/* certificate, handshake, no STARTTLS */
	CONN_LOGIN,		/* the server refused the credentials */
	CONN_PROTOCOL,		/* the server said something we can't use */
	CONN_TIMEOUT,		/* nothing for io_timeout seconds */
};

/*
 * Connect and log in with `pass`.  Returns CONN_OK, or the fault with a
 * message in why[].
 */
enum conn_fault	conn_open(struct conn *, const struct server *,
		    const char *pass, char *why, size_t whylen);
void		conn_close(struct conn *);

/*
 * The I/O calls below say what went wrong themselves (the log), then
 * return the fault.
 *
 * Send all of buf.
 */
enum conn_fault	conn_send(struct conn *, const void *buf, size_t n);
/*
 * The next line, without its CRLF (or LF), NUL-terminated, valid until
 * the next call.  A line longer than line_max is a protocol fault.
 */
enum conn_fault	conn_line(struct conn *, char **line, size_t *len);

/*
 * Exactly n bytes, given to `sink` as they arrive (sink NULL: thrown
 * away).  A sink returning -1 stops the copying but not the reading, so
 * the session stays in step; *sunk says whether every byte went in.
 */
typedef int	(*conn_sink)(void *arg, const void *p, size_t n);
enum conn_fault	conn_bytes(struct conn *, unsigned long long n, conn_sink,
		    void *arg, int *sunk);

/*
 * At least one more byte into buf[off..len), for readers that walk the
 * buffer themselves (POP3's dot-stuffed bodies).
 */
enum conn_fault	conn_fill(struct conn *);

/*
 * Wait up to ms milliseconds for something to read.  Returns 1 if there
 * is, 0 if not, -1 with the connection gone.
 */
int		conn_wait(struct conn *, long ms);

const char	*conn_fault_str(enum conn_fault);
/* What a libcurl failure means for us. */
enum conn_fault	conn_classify(CURLcode);

#endif
