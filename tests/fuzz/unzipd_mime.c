/*
 * unzipd's MIME walker over a whole mail, as unpack() calls it, with
 * the default mime_depth and mime_parts limits.  Every part handed out
 * is read to its last byte (so the sanitizers see a bad length), and
 * what mime.h promises of it is checked: depth within the limit, leaves
 * numbered 1, 2, 3..., a lower-case type, and a file name safe to show
 * (valid UTF-8, no directory part, no control character, 200 bytes at
 * most).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "limit.h"
#include "log.h"
#include "mime.h"

struct walk {
	const struct mime_limits *lim;
	unsigned		 leaves;
	unsigned		 sum;	/* of every byte, to read them */
};

/*
 * Is s, n bytes, a name as mime.c shows one: valid UTF-8 (shortest
 * forms, no surrogates) without a directory part or a control
 * character (C0, DEL, C1, the bidirectional overrides and isolates)?
 */
static int
shown_ok(const unsigned char *s, size_t n)
{
	size_t		i, k, len;
	unsigned	cp;

	for (i = 0; i < n; i += len) {
		if (s[i] < 0x80)
			len = 1, cp = s[i];
		else if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2, cp = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			len = 3, cp = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			len = 4, cp = s[i] & 0x07;
		else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 ||
		    cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == '/' ||
		    cp == '\\' || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			return 0;
	}
	return 1;
}

static int
on_part(void *arg, const struct mime_part *mp)
{
	struct walk		*w = arg;
	const unsigned char	*f;
	size_t			 i, n;

	for (i = 0; i < mp->len; i++)
		w->sum += mp->body[i];
	if (mp->index != ++w->leaves)
		fuzz_fail("leaf %u after %u", mp->index, w->leaves - 1);
	if (mp->depth < 0 || mp->depth > w->lim->depth)
		fuzz_fail("a leaf at depth %d", mp->depth);
	if (mp->type == NULL || strchr(mp->type, '/') == NULL)
		fuzz_fail("type \"%s\"", mp->type ? mp->type : "(null)");
	for (i = 0; mp->type[i] != '\0'; i++)
		if (mp->type[i] >= 'A' && mp->type[i] <= 'Z')
			fuzz_fail("type \"%s\" not lower-cased", mp->type);
	if ((f = (const unsigned char *)mp->filename) == NULL)
		return 0;
	n = strlen(mp->filename);
	if (n > 200 || !shown_ok(f, n))
		fuzz_fail("file name \"%s\" is not safe to show",
		    mp->filename);
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	log_init("unzipd");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct limits		lim;
	struct mime_limits	ml;
	struct walk		w;
	char			why[600];

	limits_default(&lim);
	ml.depth = lim.mime_depth;
	ml.parts = lim.mime_parts;
	memset(&w, 0, sizeof(w));
	w.lim = &ml;
	why[0] = '\0';
	if (mime_walk(data, size, &ml, on_part, &w, why, sizeof(why)) == -1 &&
	    why[0] == '\0')
		fuzz_fail("refused without a reason");
	if (w.leaves > (unsigned)ml.parts)
		fuzz_fail("%u leaves, over mime_parts", w.leaves);
	return 0;
}
