/*
 * mailfetch's POP3 pass over a session whose server is the input: all
 * of pop3.c's reading of what a server says (+OK and -ERR lines, the
 * UIDL and LIST listings, dot-stuffed TOP and RETR bodies, cut at any
 * byte by the read size) and conn.c's buffer beneath it, then the
 * state and the spool it writes, as each pass of `mailfetch` does it:
 * log in, the pass, which ends with QUIT.  The first input byte picks
 * the options, the rest is the server's side of one pass or more
 * (mffetch.h, mfsocket.h).
 */
#include <stdint.h>
#include <string.h>

#include <curl/curl.h>

#include "fuzz.h"
#include "mailfetch.h"
#include "mffetch.h"
#include "mfsocket.h"

static struct fetch	f;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fuzz_fail("libcurl: can't start");
	mffetch_init(&f, "pop3");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn		 c;
	const unsigned char	*rest = data + 1, *script;
	size_t			 chunk, left = size - 1, n;

	if (size == 0)
		return 0;
	chunk = mffetch_options(&f, data[0]);
	while (mffetch_pass(&rest, &left, &script, &n)) {
		mfsocket_start(script, n, chunk, 0);
		if (session_open(&f, &c) != PASS_OK)
			fuzz_fail("no session, with no network to fail");
		(void)pop3_pass(&f, &c);
		conn_close(&c);
	}
	mffetch_clear();
	return 0;
}
