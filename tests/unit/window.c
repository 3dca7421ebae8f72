/*
 * ptrresolve's window of lines, cmd/ptrresolve/window.c, as -N runs it
 * (no resolver: every source_hostname becomes "-").  Built with UBSan
 * (GNUmakefile): an empty input once scanned a NULL buffer, which only
 * a sanitizer sees.
 */
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"
#include "wbuf.h"
#include "window.h"

static struct run	r;
static struct wbuf	out;
static char		got[4096];

/* run_input() from an fd holding `in`; its output into got[]. */
static int
run(const char *in)
{
	int	fd, outfd, rc;
	ssize_t	n;

	got[0] = '\0';
	if ((fd = memfd_create("in", 0)) == -1 ||
	    (outfd = memfd_create("out", 0)) == -1 ||
	    write(fd, in, strlen(in)) != (ssize_t)strlen(in) ||
	    lseek(fd, 0, SEEK_SET) == -1)
		return -1;
	wbuf_init(&out, outfd);
	r.res = NULL;
	r.out = &out;
	r.name = "test";
	rc = run_input(&r, fd);
	if (wbuf_flush(&out) == -1 ||
	    (n = pread(outfd, got, sizeof(got) - 1, 0)) == -1)
		rc = -1;
	else
		got[n] = '\0';
	(void)close(fd);
	(void)close(outfd);
	return rc;
}

static int
gives(const char *in, const char *want)
{
	if (run(in) != 0)
		return 0;
	if (strcmp(got, want) != 0) {
		printf("# got \"%s\"\n", got);
		return 0;
	}
	return 1;
}

int
main(void)
{
	const char	*why;

	(void)log_set_level("50", &why);	/* lines passed: not said */
	ok(gives("", ""), "an empty input: no line, exit 0");
	ok(gives("\n", "\n"), "an empty line passes");
	ok(gives("source_ip=\"192.0.2.1\", source_hostname=\"x.example.\", "
	    "count=\"1\"\n", "source_ip=\"192.0.2.1\", source_hostname=\"-\", "
	    "count=\"1\"\n"), "kv: the value becomes -, nothing else changes");
	ok(gives("{\"row\": {\"source_ip\": \"::1\", \"source_hostname\": "
	    "\"a\\\"b\"}}", "{\"row\": {\"source_ip\": \"::1\", "
	    "\"source_hostname\": \"-\"}}"),
	    "json, an escaped quote in the value, no newline at the end");
	ok(gives("org_name=\"x, source_hostname=\\\"y\\\"\", "
	    "source_ip=\"10.0.0.1\", source_hostname=\"h\"\n",
	    "org_name=\"x, source_hostname=\\\"y\\\"\", "
	    "source_ip=\"10.0.0.1\", source_hostname=\"-\"\n"),
	    "kv: a key inside another value is not the field");
	ok(gives("no fields\nsource_ip=\"1.2.3.4\", source_hostname=\"cut\n",
	    "no fields\nsource_ip=\"1.2.3.4\", source_hostname=\"cut\n"),
	    "lines without both fields, or cut, pass as they came");
	return tap_done();
}
