/*
 * Linked only into the sanitizer build (make SANITIZE=1), which
 * `make check` runs the whole test suite with.  Our programs sandbox
 * themselves early: after that, ASan and UBSan could neither open a log
 * file nor read /proc/self/maps to describe what they found.  So before
 * main() each process opens a report file of its own in the directory
 * DMARCPIPE_SANITIZER_LOG names and hands it to the sanitizers, and has
 * them read the memory map while they still can.  The test run then
 * insists that every report file is empty.
 */
#include <sanitizer/common_interface_defs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void __attribute__((constructor))
sanitize_init(void)
{
	const char	*dir;
	char		 path[4096];
	int		 fd, n;

	if ((dir = getenv("DMARCPIPE_SANITIZER_LOG")) == NULL || *dir == '\0')
		return;
	n = snprintf(path, sizeof(path), "%s/%s.%ld", dir,
	    program_invocation_short_name, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(path) || (fd = open(path,
	    O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666)) == -1) {
		/* an unopened log would hide reports: say so and stop */
		fprintf(stderr, "%s: sanitizer log in %s: %s\n",
		    program_invocation_short_name, dir,
		    n < 0 || (size_t)n >= sizeof(path) ? "name too long" :
		    strerror(errno));
		_exit(70);
	}
	__sanitizer_set_report_fd((void *)(intptr_t)fd);
	__sanitizer_sandbox_on_notify(NULL);
}
