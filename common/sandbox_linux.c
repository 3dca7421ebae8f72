/*
 * seccomp allow-lists built with libseccomp, which knows each
 * architecture's syscall numbers and adds the architecture check itself.
 * The lists are small on purpose (rpki-client's lesson): every call here
 * was seen in use by our programs on this system's libc.
 *
 * Calls that libraries merely probe (opening a file, which glibc's iconv
 * or libxml2 might try) fail with EACCES instead of killing, so the
 * library reports an ordinary error.  Everything else kills the process.
 * A build with -DSANDBOX_DEBUG traps instead and names the call.
 *
 * seccomp can't look at paths, so the spool sandbox also asks Landlock
 * (ABI 2, Linux 5.19, for renames between directories) to allow files
 * beneath the spool only, and the network sandbox asks it (ABI 4) to
 * allow TCP connections to the ports named only.  A kernel without it keeps
 * seccomp alone, as DESIGN.md section 4 allows; a chroot into the spool
 * does the same job for the paths.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/landlock.h>

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

static const char *const calls_stdio[] = {
	"read", "readv", "pread64", "write", "writev", "close", "fstat",
	"newfstatat", "lseek", "brk", "munmap", "mremap", "madvise",
	"exit", "exit_group", "rt_sigreturn", "rt_sigprocmask", "futex",
	"getrandom", "clock_gettime", "gettimeofday", "getpid",
	/* glibc's qsort(3) asks how much memory there is for big arrays */
	"sysinfo",
	NULL
};

static const char *const calls_dns[] = {
	"poll", "ppoll", "sendto", "recvfrom", "sendmsg", "recvmsg",
	NULL
};

static const char *const calls_net[] = {
	"socket", "connect", "getsockopt", "setsockopt", "getsockname",
	"getpeername", "shutdown", "poll", "ppoll", "sendto", "recvfrom",
	"sendmsg", "recvmsg", "fcntl", "clock_nanosleep", "nanosleep",
	/* libcurl's wake-up pair between its own calls */
	"socketpair",
	NULL
};

static const char *const calls_spool[] = {
	"openat", "unlinkat", "renameat", "renameat2", "linkat", "fsync",
	"fdatasync", "ftruncate", "getdents64", "fcntl", "faccessat",
	"faccessat2",
	/* the host part of spool_uniqname()'s names */
	"uname",
	NULL
};

#ifdef SANDBOX_DEBUG
static void
sigsys(int sig, siginfo_t *si, void *uc)
{
	char		 msg[128];
	const char	*name;
	int		 n;

	(void)sig, (void)uc;
	name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
	    si->si_syscall);
	n = snprintf(msg, sizeof(msg), "sandbox: forbidden system call %s (%d)\n",
	    name ? name : "?", si->si_syscall);
	if (n > 0)
		(void)write(STDERR_FILENO, msg, (size_t)n);
	_exit(70);
}
#endif

/*
 * What the spool sandbox may do beneath the spool: no exec.  The MAKE_
 * rights other than MAKE_REG, and REMOVE_DIR, are there only so that a
 * link, FIFO, device or directory put into new/ can be renamed to cur/
 * and fail/ (Landlock asks for them on a rename): seccomp allows no
 * call that makes one (symlinkat, mknodat, mkdirat).
 */
#define SPOOL_FS	(LANDLOCK_ACCESS_FS_READ_FILE | \
	LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_DIR | \
	LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG | \
	LANDLOCK_ACCESS_FS_REFER | LANDLOCK_ACCESS_FS_REMOVE_DIR | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_SYM | \
	LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK)
/* Everything Landlock ABI 2 can refuse. */
#define ABI2_FS		(SPOOL_FS | LANDLOCK_ACCESS_FS_EXECUTE | \
	LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_MAKE_CHAR | \
	LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_SOCK | \
	LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK | \
	LANDLOCK_ACCESS_FS_MAKE_SYM)

/*
 * Landlock ABI 4 (Linux 6.7) can confine TCP by port; this system's
 * headers may be older than that, so its kernel ABI is spelt out here.
 */
struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
};
struct ll_net_port_attr {
	uint64_t	allowed_access;
	uint64_t	port;
};
#define LL_RULE_NET_PORT	2
#define LL_ACCESS_NET_BIND_TCP	(1ULL << 0)
#define LL_ACCESS_NET_CONNECT_TCP	(1ULL << 1)

static int	net_ports[SANDBOX_PORTS];	/* sandbox_allow_port() */
static size_t	net_nports;

static int	extra_fd = -1;		/* sandbox_allow_dir() */

int
sandbox_allow_dir(const char *path, int fd)
{
	(void)path;	/* Landlock goes by descriptor */
	if (extra_fd != -1)
		return -1;
	extra_fd = fd;
	return 0;
}

int
sandbox_allow_port(int port)
{
	size_t	i;

	for (i = 0; i < net_nports; i++)
		if (net_ports[i] == port)
			return 0;
	if (net_nports == SANDBOX_PORTS)
		return -1;
	net_ports[net_nports++] = port;
	return 0;
}

/*
 * Landlock for what seccomp can't see: the spool's paths (ABI 2) and
 * the port TCP may connect to (ABI 4).  Returns 1 when confined, 0 when
 * the kernel can't, -1 on an error.
 */
static int
landlock(int kind, const char *dir)
{
	struct ll_ruleset_attr		   ra;
	struct landlock_path_beneath_attr  pb, extra;
	struct ll_net_port_attr		   np;
	long				   abi;
	size_t				   i;
	int				   rfd, saved, rc = -1, fs, net;

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);
	fs = (kind & SANDBOX_SPOOL) && abi >= 2;
	net = (kind & SANDBOX_NET) && net_nports > 0 && abi >= 4;
	if (!fs && !net)
		return 0;
	memset(&ra, 0, sizeof(ra));
	ra.handled_access_fs = fs ? ABI2_FS : 0;
	ra.handled_access_net = net ? LL_ACCESS_NET_BIND_TCP |
	    LL_ACCESS_NET_CONNECT_TCP : 0;
	/* an ABI 2 or 3 kernel knows only the first field */
	if ((rfd = (int)syscall(SYS_landlock_create_ruleset, &ra, net ?
	    sizeof(ra) : sizeof(ra.handled_access_fs), 0)) == -1)
		return -1;
	memset(&pb, 0, sizeof(pb));
	pb.parent_fd = -1;
	if (fs) {
		pb.allowed_access = SPOOL_FS;
		if ((pb.parent_fd = open(dir, O_PATH | O_DIRECTORY |
		    O_CLOEXEC)) == -1 || syscall(SYS_landlock_add_rule, rfd,
		    LANDLOCK_RULE_PATH_BENEATH, &pb, 0) == -1)
			goto out;
		if (extra_fd != -1) {
			memset(&extra, 0, sizeof(extra));
			extra.allowed_access = SPOOL_FS;
			extra.parent_fd = extra_fd;
			if (syscall(SYS_landlock_add_rule, rfd,
			    LANDLOCK_RULE_PATH_BENEATH, &extra, 0) == -1)
				goto out;
		}
	}
	/* connect to those ports only; bind nothing */
	for (i = 0; net && i < net_nports; i++) {
		np.allowed_access = LL_ACCESS_NET_CONNECT_TCP;
		np.port = (uint64_t)net_ports[i];
		if (syscall(SYS_landlock_add_rule, rfd, LL_RULE_NET_PORT, &np,
		    0) == -1)
			goto out;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    syscall(SYS_landlock_restrict_self, rfd, 0) == -1)
		goto out;
	rc = 1;
out:
	saved = errno;
	if (pb.parent_fd != -1)
		(void)close(pb.parent_fd);
	(void)close(rfd);
	errno = saved;
	return rc;
}

static int
add_rules(scmp_filter_ctx ctx, uint32_t action, const char *const *names)
{
	int	nr, rc;

	for (; *names != NULL; names++) {
		/* a call this architecture lacks needs no rule */
		if ((nr = seccomp_syscall_resolve_name(*names)) < 0)
			continue;
		if ((rc = seccomp_rule_add(ctx, action, nr, 0)) < 0)
			return rc;
	}
	return 0;
}

int
sandbox_enter(int kind, const char *dir)
{
	static const char *const probes[] = { "open", "openat", NULL };
	scmp_filter_ctx	 ctx;
	uint32_t	 deflt = SCMP_ACT_KILL_PROCESS;
	int		 rc;
#ifdef SANDBOX_DEBUG
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		return -1;
	deflt = SCMP_ACT_TRAP;
#endif
	if (landlock(kind, dir) == -1)
		return -1;
	if ((ctx = seccomp_init(deflt)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if ((rc = add_rules(ctx, SCMP_ACT_ALLOW, calls_stdio)) < 0)
		goto out;
	/* memory, but never executable memory */
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0)
		goto out;
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) < 0)
		goto out;
	if (kind & SANDBOX_SPOOL)
		rc = add_rules(ctx, SCMP_ACT_ALLOW, calls_spool);
	else
		rc = add_rules(ctx, SCMP_ACT_ERRNO(EACCES), probes);
	if (rc >= 0 && (kind & SANDBOX_DNS))
		rc = add_rules(ctx, SCMP_ACT_ALLOW, calls_dns);
	if (rc >= 0 && (kind & SANDBOX_NET))
		rc = add_rules(ctx, SCMP_ACT_ALLOW, calls_net);
	if (rc < 0)
		goto out;
	rc = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

const char *
sandbox_name(void)
{
	return "seccomp";
}
