/*
 * The sandbox from the kernel's side: in a child, enter it, use what it
 * allows, then make one forbidden call, which must kill the child with
 * SIGSYS (DESIGN.md section 4: one test proves a forbidden call kills).
 * Library probes that open files fail with EACCES instead.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#ifdef __linux__
#include <linux/landlock.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "tap.h"

enum probe { P_SOCKET, P_OPEN, P_SPOOL, P_EXEC, P_QSORT, P_DNS, P_NET };

static struct sockaddr_in	self;	/* P_DNS's socket, bound;
					   P_NET's listener */
static struct sockaddr_in	other;	/* P_NET's other listener */

static int
cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* In the child: what it reports through `fd` before the forbidden call. */
static void
child(enum probe what, int fd, int dirfd, const char *dir)
{
	int	s;

	if (what == P_NET)
		sandbox_allow_port(ntohs(self.sin_port));
	if (sandbox_enter(what == P_SPOOL ? SANDBOX_SPOOL : what == P_DNS ?
	    SANDBOX_DNS : what == P_NET ? SANDBOX_NET : SANDBOX_STDIO,
	    what == P_SPOOL ? dir : NULL) == -1)
		_exit(2);
	switch (what) {
	case P_SOCKET:
		(void)write(fd, "in", 2);
		s = socket(AF_INET, SOCK_STREAM, 0);
		_exit(s == -1 ? 3 : 4);		/* not reached */
	case P_OPEN:
		s = open("/etc/passwd", O_RDONLY);
		_exit(s == -1 && errno == EACCES ? 0 : 5);
	case P_SPOOL:
		s = openat(dirfd, "item", O_WRONLY | O_CREAT | O_EXCL, 0600);
		if (s == -1 || write(s, "x", 1) != 1 || close(s) == -1 ||
		    renameat(dirfd, "item", dirfd, "done") == -1)
			_exit(6);
		(void)write(fd, "in", 2);
		/* seccomp allows openat(); Landlock confines it */
		s = open("/etc/passwd", O_RDONLY);
		(void)write(fd, s == -1 && errno == EACCES ? "L" : "-", 1);
		s = socket(AF_INET, SOCK_STREAM, 0);
		_exit(7);
	case P_QSORT:
		/* what libc does behind our back must be allowed too */
		{
			static int	v[100000];
			size_t		i;

			for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
				v[i] = (int)((i * 7919) % 100003);
			qsort(v, sizeof(v) / sizeof(v[0]), sizeof(v[0]),
			    cmp_int);
			_exit(v[0] <= v[1] ? 0 : 10);
		}
	case P_DNS:
		/* dirfd is a UDP socket bound to self: talk to ourselves */
		{
			char	b[4];

			if (sendto(dirfd, "dns", 3, 0,
			    (struct sockaddr *)&self, sizeof(self)) != 3 ||
			    recvfrom(dirfd, b, sizeof(b), 0, NULL, NULL) != 3)
				_exit(12);
		}
		(void)write(fd, "in", 2);
		s = socket(AF_INET, SOCK_DGRAM, 0);
		_exit(13);
	case P_NET:
		/* a new TCP connection to the listener at self */
		s = socket(AF_INET, SOCK_STREAM, 0);
		if (s == -1 || connect(s, (struct sockaddr *)&self,
		    sizeof(self)) == -1 || send(s, "net", 3, 0) != 3)
			_exit(14);
		(void)write(fd, "in", 2);
		/* Landlock (ABI 4) allows self's port only */
		s = socket(AF_INET, SOCK_STREAM, 0);
		(void)write(fd, connect(s, (struct sockaddr *)&other,
		    sizeof(other)) == -1 && errno == EACCES ? "P" : "-", 1);
		s = open("/etc/passwd", O_RDONLY);
		(void)write(fd, s == -1 && errno == EACCES ? "E" : "-", 1);
		execl("/bin/true", "true", (char *)NULL);
		_exit(15);
	case P_EXEC:
		(void)write(fd, "in", 2);
		execl("/bin/true", "true", (char *)NULL);
		_exit(8);
	}
	_exit(9);
}

/* Run the probe; *said is what the child wrote before it ended. */
static int
run(enum probe what, int dirfd, const char *dir, char *said, size_t len)
{
	pid_t	pid;
	int	p[2], status;
	size_t	got = 0;
	ssize_t	n;

	if (pipe(p) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		(void)close(p[0]);
		child(what, p[1], dirfd, dir);
	}
	(void)close(p[1]);
	/* until the child's end closes the pipe */
	while (got < len - 1 && (n = read(p[0], said + got,
	    len - 1 - got)) > 0)
		got += (size_t)n;
	said[got] = '\0';
	(void)close(p[0]);
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return status;
}

int
main(void)
{
	char	said[8], dir[] = "/tmp/dmarcpipe-sandbox.XXXXXX";
	int	st, dirfd;
	struct stat sb;

	if (strcmp(sandbox_name(), "seccomp") != 0) {
		/* pledge(2) answers with SIGABRT, and "none" not at all */
		printf("1..0 # SKIP the %s sandbox\n", sandbox_name());
		return 0;
	}
	st = run(P_SOCKET, -1, NULL, said, sizeof(said));
	ok(strcmp(said, "in") == 0, "stdio: writing to an open descriptor works");
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "stdio: socket() kills with SIGSYS");
	st = run(P_OPEN, -1, NULL, said, sizeof(said));
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "stdio: open() of a path fails with EACCES, no kill");
	st = run(P_QSORT, -1, NULL, said, sizeof(said));
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "stdio: qsort(3) of a big array works");
	st = run(P_EXEC, -1, NULL, said, sizeof(said));
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "stdio: execve() kills with SIGSYS");

	{
		socklen_t	sl = sizeof(self);
		int		u;

		self.sin_family = AF_INET;
		self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		u = socket(AF_INET, SOCK_DGRAM, 0);
		if (u == -1 || bind(u, (struct sockaddr *)&self,
		    sizeof(self)) == -1 || getsockname(u,
		    (struct sockaddr *)&self, &sl) == -1)
			ok(0, "dns: a loopback socket to test with");
		else {
			st = run(P_DNS, u, NULL, said, sizeof(said));
			ok(strcmp(said, "in") == 0,
			    "dns: sendto and recvfrom on an open socket work");
			ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
			    "dns: a new socket() kills with SIGSYS");
			(void)close(u);
		}
	}
	{
		socklen_t	sl = sizeof(self);
		int		l, l2;

		self.sin_port = 0;
		other = self;
		l = socket(AF_INET, SOCK_STREAM, 0);
		l2 = socket(AF_INET, SOCK_STREAM, 0);
		if (l == -1 || bind(l, (struct sockaddr *)&self,
		    sizeof(self)) == -1 || listen(l, 1) == -1 ||
		    getsockname(l, (struct sockaddr *)&self, &sl) == -1 ||
		    l2 == -1 || bind(l2, (struct sockaddr *)&other,
		    sizeof(other)) == -1 || listen(l2, 1) == -1 ||
		    getsockname(l2, (struct sockaddr *)&other, &sl) == -1)
			ok(0, "net: loopback listeners to test with");
		else {
			st = run(P_NET, -1, NULL, said, sizeof(said));
			ok(strncmp(said, "in", 2) == 0 && said[3] == 'E',
			    "net: a new TCP connection works, open() fails "
			    "(%s)", said);
#ifdef __linux__
			if (syscall(SYS_landlock_create_ruleset, NULL, 0,
			    LANDLOCK_CREATE_RULESET_VERSION) >= 4)
				ok(said[2] == 'P', "net: Landlock refuses "
				    "another port (%s)", said);
			else
#endif
				printf("ok %d - net: Landlock # SKIP no "
				    "Landlock ABI 4\n", ++tap_n);
			ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
			    "net: execve() kills with SIGSYS");
		}
		if (l != -1)
			(void)close(l);
		if (l2 != -1)
			(void)close(l2);
	}
	if (mkdtemp(dir) == NULL || (dirfd = open(dir, O_RDONLY |
	    O_DIRECTORY)) == -1) {
		ok(0, "spool: scratch directory %s", dir);
		return tap_done();
	}
	st = run(P_SPOOL, dirfd, dir, said, sizeof(said));
	ok(strncmp(said, "in", 2) == 0 &&
	    fstatat(dirfd, "done", &sb, 0) == 0 && sb.st_size == 1,
	    "spool: create, write and rename below the spool work");
#ifdef __linux__
	if (syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION) >= 2)
		ok(strcmp(said, "inL") == 0,
		    "spool: Landlock refuses a file outside the spool (%s)", said);
	else
#endif
		printf("ok %d - spool: Landlock # SKIP no Landlock ABI 2\n",
		    ++tap_n);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
	    "spool: socket() kills with SIGSYS");
	(void)unlinkat(dirfd, "done", 0);
	(void)close(dirfd);
	(void)rmdir(dir);
	return tap_done();
}
