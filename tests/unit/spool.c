/*
 * The spool protocol on a scratch directory: names, publish (whole, never
 * replacing), claim, done, fail with its reason, retry and recovery.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "tap.h"

static int
exists(int dir, const char *name)
{
	return faccessat(dir, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
put(struct stage *st, const char *name, const char *data)
{
	struct spool_item	it;

	if (spool_create(st, name, &it) == -1)
		return -1;
	if (write(it.fd, data, strlen(data)) != (ssize_t)strlen(data)) {
		spool_abort(&it);
		return -1;
	}
	return spool_publish(&it);
}

static int
content_is(int dir, const char *name, const char *want)
{
	char	buf[256];
	ssize_t	n;
	int	fd;

	if ((fd = openat(dir, name, O_RDONLY)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return 0;
	buf[n] = '\0';
	return strcmp(buf, want) == 0;
}

int
main(void)
{
	char			 dir[] = "/tmp/spool-unit.XXXXXX", name[300];
	char			 cmd[64];
	struct stage		 st;
	struct spool_item	 it;
	char			**names;
	size_t			 n;
	unsigned long		 moved;
	int			 root, fd;

	if (mkdtemp(dir) == NULL || (root = open(dir, O_RDONLY)) == -1) {
		perror(dir);
		return 1;
	}
	ok(spool_open(&st, root, "xml") == 0, "stage created");
	ok(exists(st.dir, "tmp") && exists(st.dir, "new") &&
	    exists(st.dir, "cur") && exists(st.dir, "fail"),
	    "tmp new cur fail made");

	ok(spool_uniqname(name, sizeof(name)) == 0 &&
	    strstr(name, ".M") != NULL && strchr(name, 'P') != NULL &&
	    strchr(name, 'Q') != NULL, "unique name %s", name);
	ok(spool_uniqname(name, 10) == -1 && errno == ENAMETOOLONG,
	    "unique name that does not fit: ENAMETOOLONG");
	ok(spool_derived(name, sizeof(name), "in", 3) == 0 &&
	    strcmp(name, "in-3") == 0, "derived name in-3");
	ok(!spool_name_ok(".hidden") && !spool_name_ok("a/b") &&
	    !spool_name_ok("") && spool_name_ok("a.b"), "name checks");

	ok(put(&st, "one", "hello\n") == 0 && content_is(st.new, "one",
	    "hello\n") && !exists(st.tmp, "one"), "published whole into new/");
	ok(put(&st, "one", "other\n") == 1 && content_is(st.new, "one",
	    "hello\n") && !exists(st.tmp, "one"),
	    "publishing the same name again: 1, not replaced");
	ok(spool_create(&st, "two", &it) == 0 && exists(st.tmp, "two") &&
	    !exists(st.new, "two"), "half-written item only in tmp/");
	spool_abort(&it);
	ok(!exists(st.tmp, "two") && !exists(st.new, "two"),
	    "abort leaves nothing");

	/* a stale tmp file from a crash is replaced */
	fd = openat(st.tmp, "three", O_WRONLY | O_CREAT, 0640);
	close(fd);
	ok(put(&st, "three", "3") == 0 && content_is(st.new, "three", "3"),
	    "stale tmp/ name replaced");

	ok(spool_list(&st, 10, &names, &n) == 0 && n == 2 &&
	    strcmp(names[0], "one") == 0 && strcmp(names[1], "three") == 0,
	    "list: sorted names");
	spool_names_free(names, n);

	ok(spool_claim(&st, "one", &fd) == 0 && fd != -1 &&
	    exists(st.cur, "one") && !exists(st.new, "one"), "claim moves to cur/");
	close(fd);
	ok(spool_claim(&st, "one", &fd) == -1 && errno == ENOENT,
	    "second claim loses with ENOENT");
	ok(put(&st, "one", "again\n") == 2 && !exists(st.new, "one") &&
	    !exists(st.tmp, "one") && content_is(st.cur, "one", "hello\n"),
	    "publishing a name a consumer holds in cur/: 2, no second copy");
	ok(spool_fail(&st, "one", "bad data") == 0 && exists(st.fail, "one") &&
	    content_is(st.fail, "one.why", "bad data\n") &&
	    !exists(st.cur, "one"), "fail: item and reason in fail/");

	ok(spool_claim(&st, "three", &fd) == 0, "claim three");
	close(fd);
	ok(spool_retry(&st, "three") == 0 && exists(st.new, "three"),
	    "retry puts it back in new/");
	ok(spool_claim(&st, "three", &fd) == 0, "claim three again");
	close(fd);
	ok(spool_recover(&st, &moved) == 0 && moved == 1 &&
	    exists(st.new, "three") && !exists(st.cur, "three"),
	    "recover: cur/ back to new/");
	ok(spool_claim(&st, "three", &fd) == 0 && spool_done(&st, "three") == 0 &&
	    !exists(st.cur, "three") && !exists(st.new, "three"),
	    "done removes the item");
	close(fd);

	/* not files: claimed, never opened (a FIFO's open would block) */
	ok(symlinkat("/etc/passwd", st.new, "link") == 0 &&
	    spool_claim(&st, "link", &fd) == 1 && fd == -1 &&
	    strcmp(spool_kind(&st, "link"), "a symbolic link") == 0,
	    "a symbolic link: claimed, not opened");
	ok(spool_fail(&st, "link", "x") == 0 && exists(st.fail, "link"),
	    "... and failed");
	ok(mkfifoat(st.new, "fifo", 0600) == 0 &&
	    spool_claim(&st, "fifo", &fd) == 1 && fd == -1 &&
	    strcmp(spool_kind(&st, "fifo"), "a FIFO") == 0,
	    "a FIFO: claimed, not opened");
	ok(mkdirat(st.new, "dir", 0700) == 0 &&
	    spool_claim(&st, "dir", &fd) == 1 &&
	    strcmp(spool_kind(&st, "dir"), "a directory") == 0,
	    "a directory: claimed, not opened");

	ok(symlinkat("/tmp", root, "events") == 0 &&
	    spool_open(&st, root, "events") == -1, "a symlinked stage refused");

	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)system(cmd);
	return tap_done();
}
