/*
 * An LD_PRELOAD shim for tests/t/0140-confinement.t: it plays the
 * attacker who got code running inside one of our programs, and the
 * broken system whose privilege drop doesn't take.  DMARCPIPE_SABOTAGE
 * says which:
 *
 *   execve, socket	on SIGUSR1, make that system call (the test
 *			sends the signal once the filter is on); the
 *			filter must kill the process before it returns
 *   noop-setresuid	setresuid(2) succeeds and changes nothing
 *   lie-setresuid	the same, and getresuid(2) then claims the
 *			ids that were asked for
 *
 * Programs must refuse to go on in the last two cases.
 */
#include <sys/socket.h>
#include <sys/syscall.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *mode = "";
static uid_t	   asked = (uid_t)-1;	/* lie-setresuid's claim */

static void
attack(int sig)
{
	char *const	argv[] = { "sh", "-c", "echo escaped", NULL };

	(void)sig;
	if (strcmp(mode, "execve") == 0)
		(void)syscall(SYS_execve, "/bin/sh", argv, NULL);
	else if (strcmp(mode, "socket") == 0)
		(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	/* still here: the call was allowed */
	(void)write(STDERR_FILENO, "sabotage: the call returned\n", 28);
}

static void __attribute__((constructor))
sabotage_init(void)
{
	struct sigaction	sa;
	const char		*m;

	if ((m = getenv("DMARCPIPE_SABOTAGE")) == NULL)
		return;
	mode = m;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = attack;
	(void)sigaction(SIGUSR1, &sa, NULL);
}

int
setresuid(uid_t r, uid_t e, uid_t s)
{
	if (strcmp(mode, "noop-setresuid") == 0)
		return 0;
	if (strcmp(mode, "lie-setresuid") == 0) {
		asked = r;
		(void)e, (void)s;
		return 0;
	}
	return (int)syscall(SYS_setresuid, r, e, s);
}

int
getresuid(uid_t *r, uid_t *e, uid_t *s)
{
	if (asked != (uid_t)-1) {
		*r = *e = *s = asked;
		return 0;
	}
	return (int)syscall(SYS_getresuid, r, e, s);
}
