/*
 * What the fuzz targets share: the libFuzzer entry points, an input
 * handed to code that reads a file descriptor (one memfd, rewritten for
 * every input, so no input costs a file), and the way a target reports
 * a broken promise of the code it drives: a message and abort(), which
 * libFuzzer records as a crash with the input that caused it.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <sys/mman.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static inline void	fuzz_fail(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2), noreturn));

static inline void
fuzz_fail(const char *fmt, ...)
{
	va_list	ap;

	fprintf(stderr, "fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/* A descriptor open on exactly these bytes, at offset 0. */
static inline int
fuzz_fd(const uint8_t *data, size_t size)
{
	static int	fd = -1;
	size_t		off;
	ssize_t		n;

	if (fd == -1 && (fd = memfd_create("fuzz", MFD_CLOEXEC)) == -1)
		fuzz_fail("memfd_create failed");
	if (ftruncate(fd, 0) == -1)
		fuzz_fail("ftruncate failed");
	for (off = 0; off < size; off += (size_t)n)
		if ((n = pwrite(fd, data + off, size - off, (off_t)off)) <= 0)
			fuzz_fail("pwrite failed");
	if (lseek(fd, 0, SEEK_SET) == -1)
		fuzz_fail("lseek failed");
	return fd;
}

#endif
