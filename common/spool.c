/*
 * The maildir discipline, after mblaze's mdeliver and OpenSMTPD's queue:
 * an item is written under tmp/ with O_EXCL, flushed to disk, and only
 * then linked into new/; the directory is flushed too, so a crash after
 * spool_publish() returns can not lose the item.  link(2) rather than
 * rename(2) because link never replaces an existing name: a replayed
 * item meets EEXIST instead of overwriting its earlier copy.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/utsname.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"
#include "spool.h"

static const char *const subdirs[] = { "tmp", "new", "cur", "fail" };

static int
open_dir(int at, const char *name, int create)
{
	int	fd;

	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdirat(at, name, 0750) == -1 && errno != EEXIST)
			return -1;
		fd = openat(at, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	return fd;
}

int
spool_open(struct stage *st, int root, const char *name)
{
	int	*fds[4];
	int	 i, saved;

	fds[0] = &st->tmp, fds[1] = &st->new, fds[2] = &st->cur;
	fds[3] = &st->fail;
	st->dir = st->tmp = st->new = st->cur = st->fail = -1;
	if (snprintf(st->name, sizeof(st->name), "%s", name) >=
	    (int)sizeof(st->name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((st->dir = open_dir(root, name, 1)) == -1)
		goto fail;
	for (i = 0; i < 4; i++)
		if ((*fds[i] = open_dir(st->dir, subdirs[i], 1)) == -1)
			goto fail;
	return 0;
fail:
	saved = errno;
	spool_close(st);
	errno = saved;
	return -1;
}

void
spool_close(struct stage *st)
{
	if (st->fail != -1)
		(void)close(st->fail);
	if (st->cur != -1)
		(void)close(st->cur);
	if (st->new != -1)
		(void)close(st->new);
	if (st->tmp != -1)
		(void)close(st->tmp);
	if (st->dir != -1)
		(void)close(st->dir);
	st->dir = st->tmp = st->new = st->cur = st->fail = -1;
}

int
spool_name_ok(const char *name)
{
	return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL &&
	    strlen(name) <= SPOOL_NAME_MAX;
}

int
spool_uniqname(char *buf, size_t len)
{
	static unsigned long	 seq;
	struct timeval		 tv;
	struct utsname		 u;
	char			 host[65];
	size_t			 i;
	int			 n;

	if (gettimeofday(&tv, NULL) == -1)
		return -1;
	if (uname(&u) == -1 || u.nodename[0] == '\0')
		(void)snprintf(host, sizeof(host), "localhost");
	else
		(void)snprintf(host, sizeof(host), "%s", u.nodename);
	/* maildir reserves '/' and ':' in names */
	for (i = 0; host[i] != '\0'; i++)
		if (host[i] == '/' || host[i] == ':')
			host[i] = '_';
	n = snprintf(buf, len, "%lld.M%06ldP%ldQ%lu.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++seq, host);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
spool_derived(char *buf, size_t len, const char *input, unsigned long k)
{
	int	n;

	n = snprintf(buf, len, "%s-%lu", input, k);
	if (n < 0 || (size_t)n >= len || (size_t)n > SPOOL_NAME_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
spool_names_free(char **names, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Names in directory `fd` that spool_name_ok() accepts, at most max. */
static int
list_dir(int fd, size_t max, char ***namesp, size_t *np)
{
	DIR		*d;
	struct dirent	*de;
	char		**names = NULL, **nn;
	size_t		 n = 0, cap = 0;
	int		 dfd, saved;

	*namesp = NULL;
	*np = 0;
	if ((dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(dfd)) == NULL) {
		saved = errno;
		(void)close(dfd);
		errno = saved;
		return -1;
	}
	while (n < max) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				goto fail;
			break;
		}
		if (!spool_name_ok(de->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nn = reallocarray(names, cap, sizeof(*names))) ==
			    NULL)
				goto fail;
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto fail;
		n++;
	}
	(void)closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	*namesp = names;
	*np = n;
	return 0;
fail:
	saved = errno;
	(void)closedir(d);
	spool_names_free(names, n);
	errno = saved;
	return -1;
}

int
spool_list(struct stage *st, size_t max, char ***namesp, size_t *np)
{
	return list_dir(st->new, max, namesp, np);
}

int
spool_recover(struct stage *st, unsigned long *moved)
{
	char	**names;
	size_t	  n, i;
	int	  rc = 0;

	*moved = 0;
	/*
	 * Workers hold a shared lock on the stage while they run.  Only a
	 * worker that finds no other can take the exclusive one, and only
	 * then is everything in cur/ a crashed run's; otherwise it belongs
	 * to a live worker and stays until a start that finds none.
	 */
	if (flock(st->dir, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK)
			return -1;
		return flock(st->dir, LOCK_SH);
	}
	do {
		if (list_dir(st->cur, 1024, &names, &n) == -1)
			return -1;
		for (i = 0; i < n && rc == 0; i++) {
			/*
			 * The same name in cur/ and new/ (delivered again
			 * while a run was on it): renameat() would replace
			 * one with the other, so the crashed run's copy goes
			 * to fail/ for a person to compare, and the rest of
			 * the stage goes on.
			 */
			if (faccessat(st->new, names[i], F_OK,
			    AT_SYMLINK_NOFOLLOW) == 0) {
				if (spool_fail(st, names[i], "a crashed run's "
				    "copy of an item that is also in new/") ==
				    -1)
					rc = -1;
				else
					log_warnx("%s/cur/%s: also in new/: "
					    "moved to fail/", st->name,
					    names[i]);
			} else if (renameat(st->cur, names[i], st->new,
			    names[i]) == -1)
				rc = -1;
			else
				(*moved)++;
		}
		spool_names_free(names, n);
	} while (rc == 0 && n > 0);
	if (rc == 0 && *moved > 0 && fsync(st->new) == -1)
		rc = -1;
	if (rc == 0 && flock(st->dir, LOCK_SH) == -1)
		rc = -1;
	return rc;
}

int
spool_adopt(struct stage *st, time_t quiet, unsigned long *moved)
{
	struct stat	 sb;
	char		**names, uniq[SPOOL_NAME_MAX + 1];
	size_t		 n, i;
	time_t		 now = time(NULL), last;
	int		 rc = 0, len;

	*moved = 0;
	if (list_dir(st->dir, 1024, &names, &n) == -1)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (fstatat(st->dir, names[i], &sb, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno != ENOENT)	/* gone: someone else's */
				rc = -1;
			continue;
		}
		last = sb.st_mtime > sb.st_ctime ? sb.st_mtime : sb.st_ctime;
		if (!S_ISREG(sb.st_mode) || now - last < quiet)
			continue;
		/* unique, with the original after a ',', room for "-k" */
		if (spool_uniqname(uniq, sizeof(uniq)) == -1) {
			rc = -1;
			break;
		}
		len = (int)strlen(uniq);
		(void)snprintf(uniq + len, sizeof(uniq) - (size_t)len, ",%.*s",
		    SPOOL_NAME_MAX - 16 - len > 0 ? SPOOL_NAME_MAX - 16 - len :
		    0, names[i]);
		if (renameat(st->dir, names[i], st->new, uniq) == -1) {
			if (errno != ENOENT)
				rc = -1;
			continue;
		}
		(*moved)++;
	}
	spool_names_free(names, n);
	if (rc == 0 && *moved > 0 && fsync(st->new) == -1)
		rc = -1;
	return rc;
}

int
spool_claim(struct stage *st, const char *name, int *fdp)
{
	struct stat	sb;
	int		fd, saved;

	*fdp = -1;
	if (!spool_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	if (renameat(st->new, name, st->cur, name) == -1)
		return -1;
	/*
	 * Only a regular file is an item.  A symbolic link could lead out
	 * of the spool, and opening a FIFO or a device could block for
	 * good or act on it; O_NONBLOCK and the second look cover one
	 * swapped in between.  The rest is the caller's to fail.
	 */
	if (fstatat(st->cur, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return -1;
	if (!S_ISREG(sb.st_mode))
		return 1;
	fd = openat(st->cur, name,
	    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return errno == ELOOP ? 1 : -1;
	if (fstat(fd, &sb) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		(void)close(fd);
		return 1;
	}
	*fdp = fd;
	return 0;
}

const char *
spool_kind(struct stage *st, const char *name)
{
	struct stat	sb;

	if (fstatat(st->cur, name, &sb, AT_SYMLINK_NOFOLLOW) == -1)
		return "gone";
	if (S_ISLNK(sb.st_mode))
		return "a symbolic link";
	if (S_ISDIR(sb.st_mode))
		return "a directory";
	if (S_ISFIFO(sb.st_mode))
		return "a FIFO";
	if (S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode))
		return "a device";
	if (S_ISSOCK(sb.st_mode))
		return "a socket";
	return "a regular file";
}

int
spool_done(struct stage *st, const char *name)
{
	return unlinkat(st->cur, name, 0);
}

int
spool_retry(struct stage *st, const char *name)
{
	return renameat(st->cur, name, st->new, name);
}

int
spool_fail(struct stage *st, const char *name, const char *why)
{
	char	 wname[SPOOL_NAME_MAX + 8];
	size_t	 len, off;
	ssize_t	 w;
	int	 fd, saved, n;

	n = snprintf(wname, sizeof(wname), "%s.why", name);
	if (n < 0 || n > SPOOL_NAME_MAX) {
		/* no room for ".why": the item goes, the log says why */
		if (renameat(st->cur, name, st->fail, name) == -1)
			return -1;
		return fsync(st->fail);
	}
	fd = openat(st->fail, wname,
	    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	len = strlen(why);
	for (off = 0; off <= len; off += (size_t)w) {
		/* the reason, then its newline */
		if (off < len)
			w = write(fd, why + off, len - off);
		else
			w = write(fd, "\n", 1);
		if (w == -1 && errno == EINTR)
			w = 0;
		else if (w <= 0)
			goto fail;
	}
	if (fsync(fd) == -1)
		goto fail;
	n = close(fd);
	fd = -1;
	if (n == -1)
		goto fail;
	if (renameat(st->cur, name, st->fail, name) == -1)
		goto fail;	/* no reason left without its item */
	return fsync(st->fail);
fail:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	(void)unlinkat(st->fail, wname, 0);
	errno = saved;
	return -1;
}

int
spool_create(struct stage *st, const char *name, struct spool_item *it)
{
	int	fd, flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;

	it->st = st;
	it->fd = -1;
	if (!spool_name_ok(name)) {
		errno = EINVAL;
		return -1;
	}
	(void)snprintf(it->name, sizeof(it->name), "%s", name);
	fd = openat(st->tmp, name, flags, 0640);
	if (fd == -1 && errno == EEXIST) {
		/*
		 * Only the worker holding the input's claim makes this name,
		 * so a tmp file by that name is the remains of a crash.
		 */
		if (unlinkat(st->tmp, name, 0) == -1)
			return -1;
		fd = openat(st->tmp, name, flags, 0640);
	}
	if (fd == -1)
		return -1;
	it->fd = fd;
	return 0;
}

void
spool_abort(struct spool_item *it)
{
	int	saved = errno;

	if (it->fd != -1)
		(void)close(it->fd);
	it->fd = -1;
	(void)unlinkat(it->st->tmp, it->name, 0);
	errno = saved;
}

int
spool_relink(struct stage *st, const char *name, int sync)
{
	int	rc = 0;

	/*
	 * A replay after a crash makes the same name again.  In cur/, the
	 * item was published before and a consumer holds it: linking it to
	 * new/ again would give that consumer's recovery two copies.
	 */
	if (faccessat(st->cur, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		rc = 2;
	else if (linkat(st->tmp, name, st->new, name, 0) == -1) {
		if (errno != EEXIST)
			return -1;
		rc = 1;
	}
	/*
	 * The item is in new/ now; a tmp/ name left behind by a failed
	 * unlink is harmless and replaced by the next spool_create().
	 */
	(void)unlinkat(st->tmp, name, 0);
	if (rc == 0 && sync && fsync(st->new) == -1)
		return -1;
	return rc;
}

int
spool_publish(struct spool_item *it)
{
	struct stage	*st = it->st;
	int		 fd = it->fd, rc, saved;

	it->fd = -1;
	if (fsync(fd) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		goto fail;
	}
	if (close(fd) == -1)
		goto fail;
	if ((rc = spool_relink(st, it->name, 1)) == -1)
		goto fail;
	return rc;
fail:
	spool_abort(it);
	return -1;
}

/*
 * A claimed item back to new/ after a temporary fault.  One that a
 * failed spool_fail() did move is in fail/ with its reason: it stays.
 */
static void
put_back(struct stage *st, const char *name)
{
	if (spool_retry(st, name) == 0)
		log_warnx("%s: back in %s/new for a later retry", name,
		    st->name);
	else if (errno == ENOENT)
		log_warnx("%s: in %s/fail all the same", name, st->name);
	else
		log_errorx("%s: can't put back into %s/new: %s", name,
		    st->name, strerror(errno));
}

long
spool_consume(struct stage *st, spool_handler fn, void *arg)
{
	char	**names, why[600];
	size_t	  n, i;
	int	  fd, claim, rc = 0;

	if (spool_list(st, 1024, &names, &n) == -1) {
		log_errorx("%s/new: %s", st->name, strerror(errno));
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		if ((claim = spool_claim(st, names[i], &fd)) == -1) {
			if (errno == ENOENT)	/* another worker was faster */
				continue;
			log_errorx("%s: claiming it: %s", names[i],
			    strerror(errno));
			rc = -1;
			break;
		}
		why[0] = '\0';
		if (claim == 1)
			(void)snprintf(why, sizeof(why), "not a regular file "
			    "but %s: not read", spool_kind(st, names[i]));
		switch (claim == 1 ? SPOOL_FAIL :
		    fn(arg, names[i], fd, why, sizeof(why))) {
		case SPOOL_DONE:
			if (spool_done(st, names[i]) == -1) {
				log_errorx("%s: removing it from %s/cur: %s",
				    names[i], st->name, strerror(errno));
				rc = -1;
			}
			break;
		case SPOOL_FAIL:
			if (spool_fail(st, names[i], why) == -1) {
				log_errorx("%s: moving it to %s/fail: %s",
				    names[i], st->name, strerror(errno));
				put_back(st, names[i]);
				rc = -1;
			} else
				log_errorx("%s: moved to %s/fail: %s", names[i],
				    st->name, why);
			break;
		case SPOOL_RETRY:
			put_back(st, names[i]);
			rc = -1;
			break;
		}
	}
	spool_names_free(names, n);
	return rc == -1 ? -1 : (long)n;
}

int
spool_start(const char *dir, const struct privdrop *pd, int *rootp)
{
	const char	*why;

	if ((*rootp = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_errorx("%s: %s", dir, strerror(errno));
		return EX_NOINPUT;
	}
	if (privdrop_apply(pd, dir, &why) == -1) {
		log_errorx("-u %s: %s: %s", pd->user, why, strerror(errno));
		return EX_NOPERM;
	}
	return 0;
}

int
spool_stage(struct stage *st, int root, const char *dir, const char *name,
    int consumer)
{
	unsigned long	moved;

	/* made by the user we now are, so later runs can write them */
	if (spool_open(st, root, name) == -1) {
		log_errorx("%s/%s: can't open or make the stage: %s", dir, name,
		    strerror(errno));
		return EX_CANTCREAT;
	}
	if (!consumer)
		return 0;
	if (spool_recover(st, &moved) == -1) {
		log_errorx("%s/%s: recovering cur/: %s", dir, name,
		    strerror(errno));
		return EX_TEMPFAIL;
	}
	if (moved > 0)
		log_info("%s/%s: %lu item(s) back from cur/ to new/", dir, name,
		    moved);
	return 0;
}
