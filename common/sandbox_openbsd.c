/*
 * pledge(2) promises named as in DESIGN.md section 4; the spool programs
 * also unveil(2) the spool directory and nothing else.
 */
#include <stdio.h>
#include <unistd.h>

#include "sandbox.h"

int
sandbox_enter(int kind, const char *dir)
{
	char	promises[64];

	(void)snprintf(promises, sizeof(promises), "stdio%s%s",
	    (kind & (SANDBOX_DNS | SANDBOX_NET)) ? " inet" : "",
	    (kind & SANDBOX_SPOOL) ? " rpath wpath cpath" : "");
	if ((kind & SANDBOX_SPOOL) && (unveil(dir, "rwc") == -1 ||
	    unveil(NULL, NULL) == -1))
		return -1;
	return pledge(promises, NULL);
}

void
sandbox_allow_port(int port)
{
	(void)port;	/* pledge(2) has no word for a port */
}

const char *
sandbox_name(void)
{
	return "pledge";
}
