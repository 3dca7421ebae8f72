/*
 * Filter mode's inputs: every named file ("-" is standard input), or
 * standard input alone when none is named, all opened at start, before
 * the sandbox that forbids open(2).
 */
#ifndef DP_INPUTS_H
#define DP_INPUTS_H

struct inputs {
	int		  n;
	int		 *fds;		/* -1: could not be opened (said) */
	const char	**names;	/* for messages: "stdin" for stdin */
	char		**paths;	/* as given; NULL for stdin */
};

/*
 * Raises the descriptor limit as far as it goes, since it bounds how
 * many files one run takes.  Returns 0, with *rc raised to EX_NOINPUT
 * when a file could not be opened, or an exit status (too many files,
 * out of memory), said.
 */
int	inputs_open(struct inputs *, int argc, char *argv[], int *rc);
/* Closes what is still open. */
void	inputs_close(struct inputs *);

struct wbuf;

/*
 * The end of filter mode: close the inputs, flush and close stdout.
 * Returns the worse of rc and, if stdout failed (said), EX_IOERR.
 */
int	inputs_done(struct inputs *, struct wbuf *out, int rc);

/* The worse of two exit statuses: a failure beats success. */
int	exit_worse(int, int);

#endif
