#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "log.h"

#define BUF_MIN		(64 * 1024)

const char *
conn_fault_str(enum conn_fault f)
{
	switch (f) {
	case CONN_OK:
		return "ok";
	case CONN_UNREACHABLE:
		return "server unreachable";
	case CONN_TLS:
		return "TLS failure";
	case CONN_LOGIN:
		return "login refused";
	case CONN_PROTOCOL:
		return "protocol error";
	case CONN_TIMEOUT:
		return "timed out";
	}
	return "?";
}

enum conn_fault
conn_classify(CURLcode rc)
{
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		return CONN_LOGIN;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
		return CONN_TLS;
	case CURLE_OPERATION_TIMEDOUT:
		return CONN_TIMEOUT;
	case CURLE_WEIRD_SERVER_REPLY:
		return CONN_PROTOCOL;
	default:
		return CONN_UNREACHABLE;
	}
}

enum conn_fault
conn_open(struct conn *c, const struct server *s, const char *pass,
    char *why, size_t whylen)
{
	char		 url[512];
	const char	*h = s->host;
	CURLcode	 rc;
	enum conn_fault	 f;
	int		 v6 = strchr(h, ':') != NULL;

	memset(c, 0, sizeof(*c));
	c->fd = CURL_SOCKET_BAD;
	c->timeout_ms = s->io_timeout * 1000;
	c->line_max = 16 * 1024 * 1024;
	(void)snprintf(url, sizeof(url), "%s://%s%s%s:%d/", s->scheme,
	    v6 ? "[" : "", h, v6 ? "]" : "", s->port);
	(void)snprintf(c->label, sizeof(c->label), "%s%s%s:%d", v6 ? "[" : "",
	    h, v6 ? "]" : "", s->port);
	if ((c->curl = curl_easy_init()) == NULL) {
		(void)snprintf(why, whylen, "libcurl: can't start");
		return CONN_UNREACHABLE;
	}
	(void)curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->err);
	(void)curl_easy_setopt(c->curl, CURLOPT_URL, url);
	(void)curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR,
	    "imap,imaps,pop3,pop3s");
	(void)curl_easy_setopt(c->curl, CURLOPT_CONNECT_ONLY, 1L);
	(void)curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	/* straight to the server: no proxy from the environment */
	(void)curl_easy_setopt(c->curl, CURLOPT_PROXY, "");
	(void)curl_easy_setopt(c->curl, CURLOPT_RESOLVE, s->resolve);
	(void)curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT,
	    s->connect_timeout);
	(void)curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, s->connect_timeout);
	(void)curl_easy_setopt(c->curl, CURLOPT_USE_SSL, s->plaintext_ok ?
	    (long)CURLUSESSL_TRY : (long)CURLUSESSL_ALL);
	/* the certificates we read before the sandbox, and nothing else */
	(void)curl_easy_setopt(c->curl, CURLOPT_CAINFO, NULL);
	(void)curl_easy_setopt(c->curl, CURLOPT_CAPATH, NULL);
	(void)curl_easy_setopt(c->curl, CURLOPT_CAINFO_BLOB, &s->ca);
	(void)curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	(void)curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	(void)curl_easy_setopt(c->curl, CURLOPT_USERNAME, s->user);
	(void)curl_easy_setopt(c->curl, CURLOPT_PASSWORD, pass);
	/*
	 * Never CURLOPT_VERBOSE: libcurl would print the AUTHENTICATE
	 * line, which carries the password.
	 */
	rc = curl_easy_perform(c->curl);
	/* libcurl's copy of the password goes now (our free wipes it) */
	(void)curl_easy_setopt(c->curl, CURLOPT_PASSWORD, NULL);
	if (rc != CURLE_OK) {
		f = conn_classify(rc);
		(void)snprintf(why, whylen, "%s:%d: %s: %s", h, s->port,
		    conn_fault_str(f), c->err[0] ? c->err :
		    curl_easy_strerror(rc));
		conn_close(c);
		return f;
	}
	if (curl_easy_getinfo(c->curl, CURLINFO_ACTIVESOCKET, &c->fd) !=
	    CURLE_OK || c->fd == CURL_SOCKET_BAD) {
		(void)snprintf(why, whylen, "%s:%d: no connection after "
		    "login", h, s->port);
		conn_close(c);
		return CONN_UNREACHABLE;
	}
	return CONN_OK;
}

void
conn_close(struct conn *c)
{
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
	free(c->buf);
	c->buf = NULL;
	c->off = c->len = c->cap = 0;
}

/* Wait for the socket; 1 ready, 0 timed out, -1 error. */
static int
wait_fd(struct conn *c, short ev, long ms)
{
	struct pollfd	pfd;
	int		n;

	pfd.fd = c->fd;
	pfd.events = ev;
	pfd.revents = 0;
	do
		n = poll(&pfd, 1, (int)ms);
	while (n == -1 && errno == EINTR);
	return n;
}

int
conn_wait(struct conn *c, long ms)
{
	if (c->off < c->len)
		return 1;
	return wait_fd(c, POLLIN, ms) > 0 ? 1 : 0;
}

enum conn_fault
conn_send(struct conn *c, const void *buf, size_t n)
{
	const char	*p = buf;
	size_t		 sent;
	CURLcode	 rc;

	while (n > 0) {
		rc = curl_easy_send(c->curl, p, n, &sent);
		if (rc == CURLE_AGAIN) {
			if (wait_fd(c, POLLOUT, c->timeout_ms) <= 0) {
				log_errorx("%s: the server takes nothing for "
				    "%ld s (io_timeout): timed out", c->label,
				    c->timeout_ms / 1000);
				return CONN_TIMEOUT;
			}
			continue;
		}
		if (rc != CURLE_OK) {
			log_errorx("%s: sending: %s", c->label,
			    curl_easy_strerror(rc));
			return CONN_UNREACHABLE;
		}
		p += sent;
		n -= sent;
	}
	return CONN_OK;
}

enum conn_fault
conn_fill(struct conn *c)
{
	unsigned char	*nb;
	size_t		 got, ncap;
	CURLcode	 rc;

	if (c->off > 0 && c->off == c->len)
		c->off = c->len = 0;
	if (c->len == c->cap) {
		if (c->off > 0) {
			memmove(c->buf, c->buf + c->off, c->len - c->off);
			c->len -= c->off;
			c->off = 0;
		} else {
			ncap = c->cap ? c->cap * 2 : BUF_MIN;
			if (ncap > c->line_max + BUF_MIN ||
			    (nb = realloc(c->buf, ncap + 1)) == NULL) {
				log_errorx("%s: a line of more than %zu bytes "
				    "from the server", c->label, c->cap);
				return CONN_PROTOCOL;
			}
			c->buf = nb;
			c->cap = ncap;
		}
	}
	for (;;) {
		rc = curl_easy_recv(c->curl, c->buf + c->len, c->cap - c->len,
		    &got);
		if (rc == CURLE_AGAIN) {
			if (wait_fd(c, POLLIN, c->timeout_ms) <= 0) {
				log_errorx("%s: nothing from the server for "
				    "%ld s (io_timeout): timed out", c->label,
				    c->timeout_ms / 1000);
				return CONN_TIMEOUT;
			}
			continue;
		}
		if (rc != CURLE_OK || got == 0) {
			log_errorx("%s: %s", c->label, rc != CURLE_OK ?
			    curl_easy_strerror(rc) :
			    "the server closed the connection");
			return CONN_UNREACHABLE;
		}
		c->len += got;
		return CONN_OK;
	}
}

enum conn_fault
conn_line(struct conn *c, char **line, size_t *len)
{
	unsigned char	*nl;
	size_t		 scanned = 0, n;
	enum conn_fault	 f;

	for (;;) {
		nl = c->len - c->off > scanned ? memchr(c->buf + c->off +
		    scanned, '\n', c->len - c->off - scanned) : NULL;
		if (nl != NULL)
			break;
		scanned = c->len - c->off;
		if (scanned > c->line_max) {
			log_errorx("%s: a line of more than %zu bytes from "
			    "the server", c->label, c->line_max);
			return CONN_PROTOCOL;
		}
		if ((f = conn_fill(c)) != CONN_OK)
			return f;
	}
	n = (size_t)(nl - (c->buf + c->off));
	*line = (char *)c->buf + c->off;
	c->off += n + 1;
	if (n > 0 && (*line)[n - 1] == '\r')
		n--;
	(*line)[n] = '\0';
	*len = n;
	return CONN_OK;
}

enum conn_fault
conn_bytes(struct conn *c, unsigned long long n, conn_sink sink, void *arg,
    int *sunk)
{
	size_t		k;
	enum conn_fault	f;

	*sunk = 1;
	while (n > 0) {
		if (c->off == c->len && (f = conn_fill(c)) != CONN_OK)
			return f;
		k = c->len - c->off;
		if (k > n)
			k = (size_t)n;
		if (*sunk && sink != NULL && sink(arg, c->buf + c->off, k) == -1)
			*sunk = 0;
		c->off += k;
		n -= k;
	}
	return CONN_OK;
}
