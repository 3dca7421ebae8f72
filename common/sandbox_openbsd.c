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

int
sandbox_allow_port(int port)
{
	(void)port;	/* no word for a port here */
	return 0;
}

const char *
sandbox_name(void)
{
	return "pledge";
}
