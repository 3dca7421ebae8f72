/*
 * mailfetch's Microsoft 365 pass, graph.c and json.c, over answers that
 * are the input: the token's JSON, every page of folder and message
 * listings (@odata.nextLink followed), Graph's error objects, status
 * lines and Retry-After headers, a message's MIME into the spool, the
 * answers to moves, deletions and new folders.  As `mailfetch -w`
 * does it: graph_start(), a graph_pass() for each pass of the input
 * (mffetch.h), graph_end().
 *
 * No network: libcurl's transfer is played here.  curl_easy_setopt()
 * keeps only the callbacks graph.c sets, curl_easy_perform() hands the
 * next answer to them as libcurl would, header lines one at a time and
 * the body in pieces, none of them NUL-terminated (each in a buffer of
 * its own size, so a read past one is seen), and sleep() returns at
 * once (the waits for Retry-After).  A pass's part of the input (after
 * the option byte of mffetch.h, whose read size is the body's piece
 * size here) is the answers in order, each a header block, an empty
 * line and the body, one from the next by a line "%%".  When they run
 * out, the next request can't connect.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fuzz.h"
#include "mailfetch.h"
#include "mffetch.h"

static struct {
	const unsigned char	*p;
	size_t			 len, off, chunk;
	curl_write_callback	 body, head;
	void			*body_arg, *head_arg;
} web;

static struct fetch	f;

CURLcode
(curl_easy_setopt)(CURL *curl, CURLoption opt, ...)
{
	va_list	ap;

	(void)curl;
	va_start(ap, opt);
	switch (opt) {
	case CURLOPT_WRITEFUNCTION:
		web.body = va_arg(ap, curl_write_callback);
		break;
	case CURLOPT_WRITEDATA:
		web.body_arg = va_arg(ap, void *);
		break;
	case CURLOPT_HEADERFUNCTION:
		web.head = va_arg(ap, curl_write_callback);
		break;
	case CURLOPT_HEADERDATA:
		web.head_arg = va_arg(ap, void *);
		break;
	default:
		break;
	}
	va_end(ap);
	return CURLE_OK;
}

/* n bytes to a callback in a buffer of exactly their size. */
static int
deliver(curl_write_callback cb, void *arg, const unsigned char *p,
    size_t n)
{
	char	*b;
	size_t	 r;

	if ((b = malloc(n > 0 ? n : 1)) == NULL)
		fuzz_fail("out of memory");
	memcpy(b, p, n);
	r = cb(b, 1, n, arg);
	free(b);
	return r == n ? 0 : -1;
}

CURLcode
curl_easy_perform(CURL *curl)
{
	const unsigned char	*a, *end, *h, *nl, *q;
	size_t			 n, k;

	(void)curl;
	if (web.off >= web.len || web.body == NULL || web.head == NULL)
		return CURLE_COULDNT_CONNECT;
	a = web.p + web.off;
	n = web.len - web.off;
	if ((q = memmem(a, n, "\n%%\n", 4)) != NULL) {
		end = q + 1;
		web.off = (size_t)(q + 4 - web.p);
	} else {
		end = a + n;
		web.off = web.len;
	}
	/* the header lines, up to the empty one and with it */
	for (h = a; h < end; h = q) {
		nl = memchr(h, '\n', (size_t)(end - h));
		q = nl != NULL ? nl + 1 : end;
		if (deliver(web.head, web.head_arg, h, (size_t)(q - h)) == -1)
			return CURLE_WRITE_ERROR;
		if (q - h == 1 || (q - h == 2 && h[0] == '\r')) {
			h = q;
			break;
		}
	}
	for (; h < end; h += k) {
		k = (size_t)(end - h);
		if (k > web.chunk)
			k = web.chunk;
		if (deliver(web.body, web.body_arg, h, k) == -1)
			return CURLE_WRITE_ERROR;
	}
	return CURLE_OK;
}

unsigned int
sleep(unsigned int secs)
{
	(void)secs;
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fuzz_fail("libcurl: can't start");
	mffetch_init(&f, "o365");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char	*rest = data + 1;
	size_t			 left = size - 1;

	if (size == 0)
		return 0;
	web.chunk = mffetch_options(&f, data[0]);
	if (web.chunk == 0)
		web.chunk = CURL_MAX_WRITE_SIZE;
	if (graph_start(&f) != PASS_OK)
		fuzz_fail("graph_start failed");
	while (mffetch_pass(&rest, &left, &web.p, &web.len)) {
		web.off = 0;
		(void)graph_pass(&f);
	}
	graph_end();
	mffetch_clear();
	return 0;
}
