/*
 * The server's side of an IMAP or POP3 session, for the mailfetch
 * targets, with no network: the four libcurl calls that would touch one
 * are defined in mfsocket.c (an executable's own definitions come
 * before a library's), and everything else, libcurl's set-up and all of
 * conn.c, imap.c and pop3.c, runs as in mailfetch.
 *
 * curl_easy_perform() logs in at once.  What the session then reads is
 * the script, `chunk` bytes per read at most (0: as many as asked), and
 * then the end of the connection; what it sends is dropped.  With
 * `tagged` (IMAP), a line of the script that starts with ". " stands
 * for the tagged answer to the last command sent: ". OK done" arrives
 * as "m12 OK done".  The tags count on over the whole process, so a
 * script could not know them.  As a server would, it says nothing more
 * after a tagged answer until the next command comes; a client that
 * reads on meets the end of the connection.
 */
#ifndef FUZZ_MFSOCKET_H
#define FUZZ_MFSOCKET_H

#include <stddef.h>

void	mfsocket_start(const unsigned char *script, size_t len, size_t chunk,
	    int tagged);

#endif
