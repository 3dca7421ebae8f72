/*
 * The fake connection of mfsocket.h.  Only what conn.c asks of libcurl
 * after the handle is set up is answered here, the way libcurl answers
 * it: recv gives what there is (0 bytes: the peer closed), send takes
 * everything, getinfo knows the active socket.  CURLE_AGAIN is never
 * returned, so conn.c never waits in poll(2).
 */
#include <curl/curl.h>

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "mfsocket.h"

static struct {
	const unsigned char	*p;
	size_t			 len, off, chunk;
	int			 tagged, bol;
	int			 answered;	/* a tagged line went out */
	int			 waiting;	/* ...whole: for a command */
	char			 tag[16];	/* of the last command */
	char			 sub[16];	/* a tag being put in */
	size_t			 nsub, isub;
	int			 fd;		/* the "socket" */
} srv = { .fd = -1 };

void
mfsocket_start(const unsigned char *script, size_t len, size_t chunk,
    int tagged)
{
	srv.p = script;
	srv.len = len;
	srv.off = 0;
	srv.chunk = chunk;
	srv.tagged = tagged;
	srv.bol = 1;
	srv.answered = srv.waiting = 0;
	srv.tag[0] = '\0';
	srv.nsub = srv.isub = 0;
	if (srv.fd == -1 && (srv.fd = open("/dev/null", O_RDWR |
	    O_CLOEXEC)) == -1)
		fuzz_fail("/dev/null: can't open");
}

CURLcode
curl_easy_perform(CURL *curl)
{
	(void)curl;
	return CURLE_OK;
}

CURLcode
(curl_easy_getinfo)(CURL *curl, CURLINFO info, ...)
{
	va_list		 ap;
	curl_socket_t	*s;

	(void)curl;
	if (info != CURLINFO_ACTIVESOCKET)
		return CURLE_UNKNOWN_OPTION;
	va_start(ap, info);
	s = va_arg(ap, curl_socket_t *);
	va_end(ap);
	*s = srv.fd;
	return CURLE_OK;
}

CURLcode
curl_easy_send(CURL *curl, const void *buf, size_t len, size_t *n)
{
	const char	*s = buf;
	size_t		 i;

	(void)curl;
	if (srv.tagged) {
		for (i = 0; i < len && i + 1 < sizeof(srv.tag) && s[i] != ' ';
		    i++)
			;
		if (i > 0 && i < len && s[i] == ' ') {
			memcpy(srv.tag, s, i);
			srv.tag[i] = '\0';
		}
		srv.waiting = 0;
	}
	*n = len;
	return CURLE_OK;
}

CURLcode
curl_easy_recv(CURL *curl, void *buf, size_t len, size_t *n)
{
	unsigned char	*o = buf;
	size_t		 k = 0;

	(void)curl;
	if (srv.chunk > 0 && len > srv.chunk)
		len = srv.chunk;
	while (k < len) {
		if (srv.isub < srv.nsub) {
			o[k++] = (unsigned char)srv.sub[srv.isub++];
			continue;
		}
		if (srv.off == srv.len || srv.waiting)
			break;
		if (srv.tagged && srv.bol && srv.tag[0] != '\0' &&
		    srv.p[srv.off] == '.' && srv.off + 1 < srv.len &&
		    srv.p[srv.off + 1] == ' ') {
			/* a copy: the next command may change the tag */
			srv.nsub = strlen(srv.tag);
			memcpy(srv.sub, srv.tag, srv.nsub);
			srv.isub = 0;
			srv.off++;
			srv.bol = 0;
			srv.answered = 1;
			continue;
		}
		srv.bol = srv.p[srv.off] == '\n';
		if (srv.bol && srv.answered)
			srv.answered = 0, srv.waiting = 1;
		o[k++] = srv.p[srv.off++];
	}
	*n = k;
	return CURLE_OK;
}
