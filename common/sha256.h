/*
 * SHA-256 (FIPS 180-4), for deterministic event ids.  Written from the
 * standard; checked against its test vectors in tests/unit.
 */
#ifndef DP_SHA256_H
#define DP_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t	h[8];
	uint64_t	len;		/* bytes hashed so far */
	unsigned char	blk[64];
	size_t		nblk;
};

void	sha256_init(struct sha256 *);
void	sha256_update(struct sha256 *, const void *, size_t);
void	sha256_final(struct sha256 *, unsigned char out[32]);

#endif
