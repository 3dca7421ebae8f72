/*
 * The settings and the spool of the mailfetch targets (mffetch.h).  The
 * spool is made with the programs' own spool_open(), the state
 * directory as mailfetch's main() makes it; between inputs the files in
 * mail/tmp, mail/new and state/ are removed by their directories'
 * descriptors.  The directory goes at exit; a find (a crash, a
 * sanitizer's report, a timeout) leaves it behind, in the TMPDIR that
 * tests/fuzz/run makes for each run and removes after it.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"
#include "limit.h"
#include "log.h"
#include "mffetch.h"

static char		 root[512];
static struct stage	*mail;
static int		 statedir = -1;
static char		 pass[] = "fuzz-password";
static char		 secret[] = "fuzz-secret";

/* Remove every file in dir (no subdirectories are made there). */
static void
empty(int dir)
{
	DIR		*d;
	struct dirent	*e;
	int		 fd;

	if ((fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(fd)) == NULL)
		fuzz_fail("%s: can't list a directory", root);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 &&
		    strcmp(e->d_name, "..") != 0 &&
		    unlinkat(dir, e->d_name, 0) == -1)
			fuzz_fail("%s: can't remove %s", root, e->d_name);
	(void)closedir(d);
}

void
mffetch_clear(void)
{
	empty(mail->tmp);
	empty(mail->new);
	empty(statedir);
}

static void
remove_all(void)
{
	static const char *const dirs[] = {
		"mail/tmp", "mail/new", "mail/cur", "mail/fail", "mail",
		"state", NULL
	};
	const char *const	*d;
	char			 path[600];

	mffetch_clear();
	for (d = dirs; *d != NULL; d++) {
		(void)snprintf(path, sizeof(path), "%s/%s", root, *d);
		(void)rmdir(path);
	}
	(void)rmdir(root);
}

void
mffetch_init(struct fetch *f, const char *protocol)
{
	struct conf	 none;	/* a file that sets nothing: the defaults */
	struct limits	 lim;
	const char	*tmp;
	int		 rootfd;

	log_init("mailfetch");
	(void)log_set_level("10", &tmp);	/* every message is made */
	memset(&none, 0, sizeof(none));
	limits_default(&lim);
	memset(f, 0, sizeof(*f));
	f->imap = strcmp(protocol, "imap") == 0;
	f->graph = strcmp(protocol, "o365") == 0;
	f->srv.scheme = f->imap ? "imaps" : "pop3s";
	f->srv.host = "mail.example.org";
	f->srv.port = f->imap ? 993 : 995;
	f->srv.user = "dmarc@example.org";
	f->srv.connect_timeout = conf_number(&none, "connect_timeout");
	f->srv.io_timeout = conf_number(&none, "io_timeout");
	f->o365.login = "https://login.example.org";
	f->o365.api = "https://graph.example.org";
	f->o365.tenant = "tenant";
	f->o365.client_id = "client";
	f->o365.secret = secret;
	f->pass = pass;
	f->keep_pass = 1;	/* as -w: the password stays for each pass */
	/* a folder below a well-known one makes Graph look it up */
	f->folder = f->graph ? "Inbox/dmarc" : "INBOX";
	f->moveto = conf_value(&none, "mailserver_moveto");
	f->markers = default_markers;
	(void)snprintf(f->markers_id, sizeof(f->markers_id), "fuzz");
	f->message_bytes = lim.message_bytes;
	f->max_messages = (long)conf_number(&none, "max_messages");

	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	if ((size_t)snprintf(root, sizeof(root), "%s/dmarcpipe-fuzz.XXXXXX",
	    tmp) >= sizeof(root) || mkdtemp(root) == NULL ||
	    (rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    spool_open(&f->mail, rootfd, "mail") == -1 ||
	    mkdirat(rootfd, "state", 0700) == -1 ||
	    (f->statedir = openat(rootfd, "state", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		fuzz_fail("%s: can't make the spool", root);
	(void)close(rootfd);
	mail = &f->mail;
	statedir = f->statedir;
	(void)atexit(remove_all);
}

int
mffetch_pass(const unsigned char **data, size_t *size,
    const unsigned char **p, size_t *n)
{
	static const char	 mark[] = "\n==pass==\n";
	const unsigned char	*q;

	if (*data == NULL)
		return 0;
	*p = *data;
	if ((q = memmem(*data, *size, mark, sizeof(mark) - 1)) == NULL) {
		*n = *size;
		*data = NULL;		/* the last one */
		*size = 0;
		return 1;
	}
	*n = (size_t)(q + 1 - *data);	/* its newline is the pass's */
	*size -= (size_t)(q + sizeof(mark) - 1 - *data);
	*data = q + sizeof(mark) - 1;
	return 1;
}

size_t
mffetch_options(struct fetch *f, unsigned char opt)
{
	static const enum action actions[] = {
		ACT_MOVE, ACT_DELETE, ACT_MARK_READ, ACT_MOVE
	};

	f->action = actions[opt & 3];
	f->check = (opt & 4) != 0;
	f->count = -1;
	f->got = f->skipped = f->acted = 0;
	return opt >> 3;
}
