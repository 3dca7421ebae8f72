/*
 * pledge(2) promises named as in DESIGN.md section 4; the spool programs
 * also unveil(2) the spool directory and nothing else.
 */
#include <unistd.h>

#include "sandbox.h"

int
sandbox_enter(enum sandbox_kind kind, const char *dir)
{
	if (kind == SANDBOX_STDIO)
		return pledge("stdio", NULL);
	if (unveil(dir, "rwc") == -1 || unveil(NULL, NULL) == -1)
		return -1;
	return pledge("stdio rpath wpath cpath", NULL);
}

const char *
sandbox_name(void)
{
	return "pledge";
}
