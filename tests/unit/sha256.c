/* SHA-256 against the FIPS 180-4 / NIST example vectors. */
#include <string.h>

#include "sha256.h"
#include "tap.h"

static void
hex(const unsigned char md[32], char out[65])
{
	static const char	h[] = "0123456789abcdef";
	int			i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = h[md[i] >> 4];
		out[2 * i + 1] = h[md[i] & 0xf];
	}
	out[64] = '\0';
}

static int
check(const char *msg, size_t n, size_t chunk, const char *want)
{
	struct sha256	s;
	unsigned char	md[32];
	char		got[65];
	size_t		i, k;

	sha256_init(&s);
	for (i = 0; i < n; i += k) {
		k = n - i < chunk ? n - i : chunk;
		sha256_update(&s, msg + i, k);
	}
	sha256_final(&s, md);
	hex(md, got);
	return strcmp(got, want) == 0;
}

int
main(void)
{
	static char	 million[1000000];
	const char	*two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	ok(check("", 0, 1,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	    "empty message");
	ok(check("abc", 3, 3,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	    "abc");
	ok(check(two, strlen(two), 64,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
	    "448-bit message (two blocks)");
	ok(check(two, strlen(two), 1,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
	    "same, fed one byte at a time");
	memset(million, 'a', sizeof(million));
	ok(check(million, sizeof(million), 4096,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
	    "one million 'a'");
	return tap_done();
}
