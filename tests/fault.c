/*
 * fault.so: an LD_PRELOAD shim for tests/t/0940-fault.t that makes one
 * chosen write, fsync, close, rename or link fail the way a full or
 * failing disk does, so a test can prove what a program does then.
 *
 *	DMARCPIPE_FAULT=KIND:N:ERR	the Nth call of KIND (write, fsync,
 *					close, rename, link) fails with ERR
 *					(ENOSPC or EIO); every other call,
 *					before and after, works
 *	DMARCPIPE_FAULT_LOG=FD		each counted call writes a line
 *					"KIND N CLASS" to FD, the failed
 *					one "KIND N CLASS fault ERR"
 *
 * Only calls on the disk count: a descriptor that fstat(2) says is a
 * regular file or a directory (sockets and pipes are another test's
 * business), never stderr or the log's descriptor; renames and links
 * always.  fsync counts fdatasync too; rename counts renameat and
 * renameat2; link counts linkat.  CLASS is "file" or "dir" for write and
 * fsync, "path" for rename and link, and for close "dir", "written" (a
 * file written through this descriptor number since it was last closed)
 * or "unwritten", so that a test knows a close whose failure loses
 * nothing.
 *
 * glibc's stdio writes and closes through its own internal calls, which
 * no preloaded library sees, so fflush() with bytes pending is a write
 * here, and fclose() a close (and a write first when bytes are pending).
 * A full stdio buffer that flushes itself inside fprintf() is not seen.
 * A failed write writes nothing (stdio's pending bytes are dropped); a
 * failed close closes all the same, as Linux does.
 *
 * The programs run sandboxed after their start: the real functions are
 * looked up before main(), and the shim itself calls only fstat(2) and
 * write(2), which every one of their seccomp allow-lists has.
 */
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum kind { K_WRITE, K_FSYNC, K_CLOSE, K_RENAME, K_LINK, K_N };

static const char *const kinds[K_N] = {
	"write", "fsync", "close", "rename", "link"
};

static unsigned long	 calls[K_N];
static int		 fault_kind = -1;
static unsigned long	 fault_n;
static int		 fault_err;
static int		 logfd = -1;
/* descriptors written since their last close; above the table: "written" */
static unsigned char	 wrote[4096];

static ssize_t	(*real_write)(int, const void *, size_t);
static int	(*real_fsync)(int);
static int	(*real_fdatasync)(int);
static int	(*real_close)(int);
static int	(*real_rename)(const char *, const char *);
static int	(*real_renameat)(int, const char *, int, const char *);
static int	(*real_renameat2)(int, const char *, int, const char *,
		    unsigned int);
static int	(*real_link)(const char *, const char *);
static int	(*real_linkat)(int, const char *, int, const char *, int);
static int	(*real_fflush)(FILE *);
static int	(*real_fclose)(FILE *);

static void
resolve(void)
{
	real_write = (ssize_t (*)(int, const void *, size_t))
	    dlsym(RTLD_NEXT, "write");
	real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	real_rename = (int (*)(const char *, const char *))
	    dlsym(RTLD_NEXT, "rename");
	real_renameat = (int (*)(int, const char *, int, const char *))
	    dlsym(RTLD_NEXT, "renameat");
	real_renameat2 = (int (*)(int, const char *, int, const char *,
	    unsigned int))dlsym(RTLD_NEXT, "renameat2");
	real_link = (int (*)(const char *, const char *))
	    dlsym(RTLD_NEXT, "link");
	real_linkat = (int (*)(int, const char *, int, const char *, int))
	    dlsym(RTLD_NEXT, "linkat");
	real_fflush = (int (*)(FILE *))dlsym(RTLD_NEXT, "fflush");
	real_fclose = (int (*)(FILE *))dlsym(RTLD_NEXT, "fclose");
}

/* The settings are read once, before main() and its sandbox. */
__attribute__((constructor)) static void
setup(void)
{
	const char	*s;
	char		*e;
	int		 k;
	size_t		 len;

	resolve();
	if ((s = getenv("DMARCPIPE_FAULT_LOG")) != NULL && *s != '\0')
		logfd = (int)strtol(s, NULL, 10);
	if ((s = getenv("DMARCPIPE_FAULT")) == NULL || *s == '\0')
		return;
	for (k = 0; k < K_N; k++) {
		len = strlen(kinds[k]);
		if (strncmp(s, kinds[k], len) == 0 && s[len] == ':')
			break;
	}
	if (k == K_N)
		goto bad;
	fault_n = strtoul(s + len + 1, &e, 10);
	if (fault_n == 0 || *e != ':')
		goto bad;
	if (strcmp(e + 1, "ENOSPC") == 0)
		fault_err = ENOSPC;
	else if (strcmp(e + 1, "EIO") == 0)
		fault_err = EIO;
	else
		goto bad;
	fault_kind = k;
	return;
bad:
	/* a test that asks for nothing real must not pass by accident */
	(void)fprintf(stderr, "fault.so: DMARCPIPE_FAULT=%s: not "
	    "KIND:N:ENOSPC|EIO\n", s);
	_exit(70);
}

/* Is fd on the disk, and one the shim may touch?  Its class, or NULL. */
static const char *
on_disk(int fd)
{
	struct stat	sb;

	if (fd < 0 || fd == STDERR_FILENO || fd == logfd ||
	    fstat(fd, &sb) == -1)
		return NULL;
	if (S_ISDIR(sb.st_mode))
		return "dir";
	if (S_ISREG(sb.st_mode))
		return "file";
	return NULL;
}

/*
 * One counted call of kind k: logged, and 1 (errno set) when it is the
 * one that must fail.
 */
static int
point(enum kind k, const char *class)
{
	char		line[96];
	unsigned long	n;
	int		fail, len, saved = errno;

	n = __atomic_add_fetch(&calls[k], 1, __ATOMIC_SEQ_CST);
	fail = (int)k == fault_kind && n == fault_n;
	if (logfd != -1) {
		len = snprintf(line, sizeof(line), "%s %lu %s%s%s\n", kinds[k],
		    n, class, fail ? " fault " : "", fail ? (fault_err ==
		    EIO ? "EIO" : "ENOSPC") : "");
		if (len > 0 && (size_t)len < sizeof(line))
			(void)real_write(logfd, line, (size_t)len);
	}
	errno = fail ? fault_err : saved;
	return fail;
}

static void
mark(int fd, int written)
{
	if (fd >= 0 && (size_t)fd < sizeof(wrote))
		wrote[fd] = (unsigned char)written;
}

static const char *
close_class(int fd, const char *class)
{
	if (strcmp(class, "dir") == 0)
		return class;
	return fd < 0 || (size_t)fd >= sizeof(wrote) || wrote[fd] ?
	    "written" : "unwritten";
}

ssize_t
write(int fd, const void *p, size_t n)
{
	const char	*class;
	ssize_t		 r;

	if (real_write == NULL)
		resolve();
	if ((class = on_disk(fd)) != NULL && point(K_WRITE, class))
		return -1;
	if ((r = real_write(fd, p, n)) > 0 && class != NULL)
		mark(fd, 1);
	return r;
}

static int
syncing(int fd, int (*real)(int))
{
	const char	*class;

	if ((class = on_disk(fd)) != NULL && point(K_FSYNC, class))
		return -1;
	return real(fd);
}

int
fsync(int fd)
{
	if (real_fsync == NULL)
		resolve();
	return syncing(fd, real_fsync);
}

int
fdatasync(int fd)
{
	if (real_fdatasync == NULL)
		resolve();
	return syncing(fd, real_fdatasync);
}

int
close(int fd)
{
	const char	*class;
	int		 saved;

	if (real_close == NULL)
		resolve();
	if ((class = on_disk(fd)) == NULL)
		return real_close(fd);
	class = close_class(fd, class);
	mark(fd, 0);
	if (point(K_CLOSE, class)) {
		saved = errno;
		(void)real_close(fd);
		errno = saved;
		return -1;
	}
	return real_close(fd);
}

int
rename(const char *from, const char *to)
{
	if (real_rename == NULL)
		resolve();
	return point(K_RENAME, "path") ? -1 : real_rename(from, to);
}

int
renameat(int fd, const char *from, int tofd, const char *to)
{
	if (real_renameat == NULL)
		resolve();
	return point(K_RENAME, "path") ? -1 :
	    real_renameat(fd, from, tofd, to);
}

int
renameat2(int fd, const char *from, int tofd, const char *to,
    unsigned int flags)
{
	if (real_renameat2 == NULL)
		resolve();
	return point(K_RENAME, "path") ? -1 :
	    real_renameat2(fd, from, tofd, to, flags);
}

int
link(const char *from, const char *to)
{
	if (real_link == NULL)
		resolve();
	return point(K_LINK, "path") ? -1 : real_link(from, to);
}

int
linkat(int fd, const char *from, int tofd, const char *to, int flags)
{
	if (real_linkat == NULL)
		resolve();
	return point(K_LINK, "path") ? -1 :
	    real_linkat(fd, from, tofd, to, flags);
}

/*
 * The bytes stdio holds for a file on the disk are a write: a failed
 * one drops them and leaves the stream in error, as a real one does.
 * Returns 1 when it failed.
 */
static int
stdio_write(FILE *f, const char *class)
{
	if (class == NULL || __fpending(f) == 0)
		return 0;
	if (point(K_WRITE, class)) {
		__fpurge(f);
#ifdef _IO_ERR_SEEN	/* glibc: ferror() says so too */
		f->_flags |= _IO_ERR_SEEN;
#endif
		return 1;
	}
	mark(fileno(f), 1);
	return 0;
}

int
fflush(FILE *f)
{
	if (real_fflush == NULL)
		resolve();
	if (f != NULL && stdio_write(f, on_disk(fileno(f))))
		return EOF;
	return real_fflush(f);
}

int
fclose(FILE *f)
{
	const char	*class;
	int		 fd = fileno(f), r, saved, failed;

	if (real_fclose == NULL)
		resolve();
	if ((class = on_disk(fd)) == NULL)
		return real_fclose(f);
	failed = stdio_write(f, class);
	saved = errno;
	class = close_class(fd, class);
	mark(fd, 0);
	if (!failed && point(K_CLOSE, class)) {
		failed = 1;
		saved = errno;
	}
	r = real_fclose(f);
	if (failed) {
		errno = saved;
		return EOF;
	}
	return r;
}
