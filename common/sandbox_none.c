/*
 * No sandbox on this system.  The build warns; the programs still drop
 * privileges, and say "none" where they would name the sandbox.
 */
#warning "dmarcpipe: no sandbox for this system: programs run unconfined"

#include "sandbox.h"

int
sandbox_enter(int kind, const char *dir)
{
	(void)kind, (void)dir;
	return 0;
}

int
sandbox_allow_port(int port)
{
	(void)port;	/* no word for a port here */
	return 0;
}

int
sandbox_allow_dir(const char *path, int fd)
{
	(void)path;
	(void)fd;
	return 0;
}

const char *
sandbox_name(void)
{
	return "none";
}
