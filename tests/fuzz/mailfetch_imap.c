/*
 * mailfetch's IMAP pass over a session whose server is the input: all
 * of imap.c's reading of what a server says (tagged and untagged
 * responses, CAPABILITY, LIST, SELECT's EXISTS and UIDVALIDITY, UID
 * SEARCH lists, FETCH items with quoted strings and literals, header
 * literals to the Subject check, message literals into the spool) and
 * conn.c's lines and byte counts beneath it, then the state and the
 * spool it writes, as each pass of `mailfetch` does it: log in, the
 * pass, LOGOUT.  The first input byte picks the options, the rest is
 * the server's side of one pass or more (mffetch.h, mfsocket.h).
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
	mffetch_init(&f, "imap");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conn		 c;
	enum pass		 p;
	const unsigned char	*rest = data + 1, *script;
	size_t			 chunk, left = size - 1, n;

	if (size == 0)
		return 0;
	chunk = mffetch_options(&f, data[0]);
	while (mffetch_pass(&rest, &left, &script, &n)) {
		mfsocket_start(script, n, chunk, 1);
		if (session_open(&f, &c) != PASS_OK)
			fuzz_fail("no session, with no network to fail");
		p = imap_pass(&f, &c);
		if (p == PASS_OK || p == PASS_TEMP)
			imap_logout(&f, &c);
		conn_close(&c);
	}
	mffetch_clear();
	return 0;
}
