/*
 * ptrresolve's window of event lines, run_input(), as `ptrresolve -N`
 * runs it: every line read, source_ip and source_hostname found in kv
 * or json by their keys, and source_hostname's value replaced ("-", as
 * no resolver is asked: no DNS here).  The input is whatever a hostile
 * or broken stage before could leave in events/.  Besides the
 * sanitizers, the promise that nothing on a line changes but that value
 * is held to its simplest consequence: as many lines come out as went
 * in, and every line that had no such fields comes out as it was.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "log.h"
#include "wbuf.h"
#include "window.h"

static struct run	r;
static struct wbuf	out;
static int		outfd = -1;

static size_t
lines(const char *p, size_t n)
{
	const char	*q, *end;
	size_t		 k = 0;

	if (n == 0)
		return 0;
	end = p + n;
	while ((q = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		k++;
		p = q + 1;
	}
	return k + (p < end);	/* a last line without its newline */
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	log_init("ptrresolve");
	if ((outfd = memfd_create("out", MFD_CLOEXEC)) == -1)
		fuzz_fail("memfd_create failed");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	*got;
	static size_t	 gotcap;
	off_t		 len;
	int		 rc;

	if (ftruncate(outfd, 0) == -1 || lseek(outfd, 0, SEEK_SET) == -1)
		fuzz_fail("the output memfd");
	wbuf_init(&out, outfd);
	r.res = NULL;
	r.out = &out;
	r.name = "fuzz";
	rc = run_input(&r, fuzz_fd(data, size));
	if (rc != 0)
		fuzz_fail("run_input: %d on an input it can read", rc);
	if (wbuf_flush(&out) == -1)
		fuzz_fail("the output memfd: write failed");
	if ((len = lseek(outfd, 0, SEEK_CUR)) == -1)
		fuzz_fail("the output memfd: lseek failed");
	if ((size_t)len > gotcap) {
		free(got);
		gotcap = (size_t)len;
		if ((got = malloc(gotcap)) == NULL)
			fuzz_fail("out of memory");
	}
	if (pread(outfd, got, (size_t)len, 0) != len)
		fuzz_fail("the output memfd: pread failed");
	if (lines(got, (size_t)len) != lines((const char *)data, size))
		fuzz_fail("%zu lines in, %zu out", lines((const char *)data,
		    size), lines(got, (size_t)len));
	if (memmem(data, size, "source_hostname", 15) == NULL &&
	    ((size_t)len != size || (size > 0 && memcmp(got, data, size) !=
	    0)))
		fuzz_fail("lines without source_hostname changed");
	return 0;
}
