/* mailfetch's state journal: cmd/mailfetch/state.c. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state.h"
#include "tap.h"

static void
live_all(void *arg, struct sent *e)
{
	(void)arg;
	e->live = strcmp(e->key, "3") != 0;	/* 3 is gone */
}

static int
file_has(int dir, const char *file, const char *want)
{
	char	buf[4096];
	ssize_t	n;
	int	fd;

	if ((fd = openat(dir, file, O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strstr(buf, want) != NULL;
}

static void
append(int dir, const char *file, const char *s)
{
	int	fd = openat(dir, file, O_WRONLY | O_APPEND);

	if (fd == -1 || write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		perror("append");
	(void)close(fd);
}

int
main(void)
{
	char		 tmpl[] = "/tmp/mfstate.XXXXXX", why[512] = "", file[80];
	struct state	 st;
	struct sent	*e;
	int		 dir;

	if (mkdtemp(tmpl) == NULL || (dir = open(tmpl, O_RDONLY)) == -1)
		return 1;
	ok(state_open(&st, dir, "imap://u@h/INBOX", why, sizeof(why)) == 0,
	    "a new state");
	(void)snprintf(file, sizeof(file), "%s", st.file);
	ok(strncmp(file, "imap-", 5) == 0 && strlen(file) == 21,
	    "named by scheme and a hash: %s", file);
	ok(strcmp(st.validity, "-") == 0 && state_get(&st, "1") == NULL,
	    "empty");
	ok(state_note(&st, 'i', "1", NULL, NULL, 0) == 0 &&
	    state_note(&st, 'p', "2", "n2", "2026-11-29", 1) == 0 &&
	    state_note(&st, 'p', "3", "n3", NULL, 1) == 0 &&
	    state_note(&st, 'd', "3", NULL, NULL, 0) == 0, "four notes");
	ok(state_note(&st, 'i', "a b", NULL, NULL, 0) == -1 &&
	    state_note(&st, 'p', "4", "a b", NULL, 0) == -1 &&
	    state_note(&st, 'i', "", NULL, NULL, 0) == -1,
	    "a key or name with a space, or empty, refused");
	state_close(&st);

	ok(state_open(&st, dir, "imap://u@h/INBOX", why, sizeof(why)) == 0,
	    "read back: %s", why);
	ok((e = state_get(&st, "1")) != NULL && e->kind == 'i', "1 ignored");
	ok((e = state_get(&st, "2")) != NULL && e->kind == 'p' &&
	    strcmp(e->name, "n2") == 0 && strcmp(e->date, "2026-11-29") == 0,
	    "2 pending, with name and date");
	ok((e = state_get(&st, "3")) != NULL && e->kind == 'd',
	    "3 done: the later record wins");
	state_each(&st, live_all, NULL);
	ok(state_rewrite(&st, "77", "abc") == 0, "rewritten");
	ok(state_get(&st, "3") == NULL && state_get(&st, "2") != NULL,
	    "what is gone from the server is forgotten");
	ok(file_has(dir, file, "validity 77\nsubjects abc\n") &&
	    !file_has(dir, file, "p 3"), "the file says so");
	ok(state_note(&st, 'd', "2", NULL, NULL, 1) == 0, "a note after it");
	state_close(&st);

	append(dir, file, "d 1");	/* a crash in the middle of a write */
	ok(state_open(&st, dir, "imap://u@h/INBOX", why, sizeof(why)) == 0,
	    "a torn last line is no error");
	ok((e = state_get(&st, "1")) != NULL && e->kind == 'i' &&
	    (e = state_get(&st, "2")) != NULL && e->kind == 'd' &&
	    strcmp(st.validity, "77") == 0, "... and is not applied");
	state_close(&st);

	append(dir, file, "\nx 5 y\n");
	ok(state_open(&st, dir, "imap://u@h/INBOX", why, sizeof(why)) == -1 &&
	    strstr(why, "not a line mailfetch writes") != NULL,
	    "a line we never write is refused: %s", why);

	ok(state_open(&st, dir, "pop3://u@h", why, sizeof(why)) == 0 &&
	    strncmp(st.file, "pop3-", 5) == 0 && strcmp(st.file, file) != 0,
	    "another mailbox, another file");
	(void)unlinkat(dir, st.file, 0);
	state_close(&st);
	(void)unlinkat(dir, file, 0);
	(void)close(dir);
	(void)rmdir(tmpl);
	return tap_done();
}
