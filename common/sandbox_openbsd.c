/*
 * pledge(2) promises named as in DESIGN.md section 4; the spool programs
 * also unveil(2) the spool directory (and an output directory given with
 * sandbox_allow_dir()) and nothing else.
 */
#include <stdio.h>
#include <unistd.h>

#include "sandbox.h"

static const char	*extra_dir;	/* sandbox_allow_dir() */

int
sandbox_allow_dir(const char *path, int fd)
{
	(void)fd;
	if (extra_dir != NULL)
		return -1;
	extra_dir = path;
	return 0;
}

int
sandbox_enter(int kind, const char *dir)
{
	char	promises[64];

	(void)snprintf(promises, sizeof(promises), "stdio%s%s",
	    (kind & (SANDBOX_DNS | SANDBOX_NET)) ? " inet" : "",
	    (kind & SANDBOX_SPOOL) ? " rpath wpath cpath" : "");
	if ((kind & SANDBOX_SPOOL) && (unveil(dir, "rwc") == -1 ||
	    (extra_dir != NULL && unveil(extra_dir, "rwc") == -1) ||
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
