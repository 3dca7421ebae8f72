#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "inputs.h"
#include "log.h"
#include "wbuf.h"

int
inputs_open(struct inputs *in, int argc, char *argv[], int *rc)
{
	static char	 dash[] = "-";
	static char	*just_stdin[] = { dash, NULL };
	struct rlimit	 rl;
	int		 i;

	memset(in, 0, sizeof(*in));
	if (argc == 0) {
		argc = 1;
		argv = just_stdin;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    (rlim_t)argc + 16 > rl.rlim_cur) {
		log_errorx("%d files are more than one run can open (%llu): "
		    "pass them in smaller groups (xargs)", argc,
		    (unsigned long long)rl.rlim_cur);
		return EX_USAGE;
	}
	if ((in->fds = calloc((size_t)argc, sizeof(*in->fds))) == NULL ||
	    (in->names = calloc((size_t)argc, sizeof(*in->names))) == NULL ||
	    (in->paths = calloc((size_t)argc, sizeof(*in->paths))) == NULL) {
		log_errorx("out of memory");
		return EX_OSERR;
	}
	in->n = argc;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0) {
			in->fds[i] = STDIN_FILENO;
			in->names[i] = "stdin";
			continue;
		}
		in->names[i] = in->paths[i] = argv[i];
		if ((in->fds[i] = open(argv[i], O_RDONLY | O_CLOEXEC)) == -1) {
			log_errorx("%s: %s", argv[i], strerror(errno));
			*rc = exit_worse(*rc, EX_NOINPUT);
		}
	}
	return 0;
}

void
inputs_close(struct inputs *in)
{
	int	i;

	for (i = 0; i < in->n; i++)
		if (in->fds[i] > STDERR_FILENO)
			(void)close(in->fds[i]);
	free(in->fds);
	free(in->names);
	free(in->paths);
	memset(in, 0, sizeof(*in));
}

int
inputs_done(struct inputs *in, struct wbuf *out, int rc)
{
	inputs_close(in);
	if (wbuf_flush(out) == -1 || close(STDOUT_FILENO) == -1) {
		log_errorx("stdout: %s", strerror(errno));
		rc = exit_worse(rc, EX_IOERR);
	}
	return rc;
}

int
exit_worse(int a, int b)
{
	return a > b ? a : b;
}
