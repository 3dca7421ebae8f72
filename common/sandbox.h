/*
 * One sandbox API, one implementation per system (DESIGN.md section 4):
 * seccomp through libseccomp on Linux, pledge(2)/unveil(2) on OpenBSD,
 * and nothing elsewhere (the build says so with a warning).
 *
 * Enter the sandbox after every file, directory and library resource is
 * open and before the first untrusted byte is read.  There is no way out.
 */
#ifndef DP_SANDBOX_H
#define DP_SANDBOX_H

enum sandbox_kind {	/* flags: SANDBOX_SPOOL | SANDBOX_DNS | ... */
	/* read and write on descriptors already open; memory; exit */
	SANDBOX_STDIO = 0,
	/* creating, renaming, linking, removing and listing files below
	 * directory descriptors already open */
	SANDBOX_SPOOL = 1,
	/* sending and receiving on the resolver's socket, already open;
	 * poll(2) */
	SANDBOX_DNS = 2,
	/* making TCP connections to addresses already looked up, and
	 * talking on them; waiting */
	SANDBOX_NET = 4,
};

/*
 * `dir` is the spool directory as a path that works now (after a chroot
 * into it, "/"), for the systems that confine paths by name (OpenBSD's
 * unveil); NULL for SANDBOX_STDIO.  Returns 0, or -1 with
 * errno set; on -1 the caller must not go on.
 */
int	sandbox_enter(int kinds, const char *dir);

/*
 * Before sandbox_enter() with SANDBOX_NET: a TCP port connections may go
 * to (up to SANDBOX_PORTS of them), where the system can say so (Linux's
 * Landlock, ABI 4 and up); elsewhere any port.  Returns -1 when full.
 */
#define SANDBOX_PORTS	4
int	sandbox_allow_port(int port);

/*
 * Before sandbox_enter() with SANDBOX_SPOOL: one more directory the
 * process may work below, besides the spool (ptrresolve -o), open on
 * fd (kept open by the caller) and named path, for the systems that
 * confine by name.  Returns -1 when one is already given.
 */
int	sandbox_allow_dir(const char *path, int fd);

/* A word for messages: "seccomp", "pledge" or "none". */
const char *sandbox_name(void);

#endif
