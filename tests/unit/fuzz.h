/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the deterministic fuzz tests (test_*_fuzz.c): a seeded
 * PRNG, a growable byte buffer with the mutations they share, the repo
 * root (to find seeds), and a leak check for sanitizer builds (`make
 * asan`), where the unit runner's _exit() would skip LeakSanitizer.
 *
 * Everything is static: each test file includes this once.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#define FUZZ_SANITIZED 1
#else
#define FUZZ_SANITIZED 0
#endif

/* The iterations of a fuzz test: FUZZ_ITERS overrides (a long run by hand). */
static inline unsigned long fuzz_iters(unsigned long dflt)
{
	const char *s = getenv("FUZZ_ITERS");
	unsigned long v;
	char *end;

	if (!s || !*s)
		return dflt;
	v = strtoul(s, &end, 10);
	return *end || !v ? dflt : v;
}

/* The PRNG seed of a fuzz test: FUZZ_SEED overrides (other inputs, same checks). */
static inline unsigned long long fuzz_seed(unsigned long long dflt)
{
	const char *s = getenv("FUZZ_SEED");
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return dflt;
	v = strtoull(s, &end, 0);
	return *end ? dflt : v;
}

/* 0 when no leak; LeakSanitizer prints the leaks itself. Always 0 unsanitized. */
static inline int fuzz_leaks(void)
{
#if FUZZ_SANITIZED
	return __lsan_do_recoverable_leak_check();
#else
	return 0;
#endif
}

/* splitmix64: small, fast, and the same sequence everywhere. */
struct fuzz_rng {
	__u64 s;
};

static inline __u64 fuzz_next(struct fuzz_rng *r)
{
	__u64 z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform enough in 0..n-1 (n > 0). */
static inline size_t fuzz_below(struct fuzz_rng *r, size_t n)
{
	return n ? fuzz_next(r) % n : 0;
}

struct fuzz_buf {
	char *p;
	size_t len, cap;
};

#define FUZZ_BUF_MAX (1u << 20) /* mutations stop growing a buffer beyond this */

static inline int fuzz_reserve(struct fuzz_buf *b, size_t len)
{
	char *tmp;
	size_t cap;

	if (len + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < len + 1)
		cap *= 2;
	tmp = realloc(b->p, cap);
	if (!tmp)
		return -ENOMEM;
	b->p = tmp;
	b->cap = cap;
	return 0;
}

static inline int fuzz_set(struct fuzz_buf *b, const void *data, size_t len)
{
	if (fuzz_reserve(b, len))
		return -ENOMEM;
	memcpy(b->p, data, len);
	b->len = len;
	b->p[len] = '\0';
	return 0;
}

/* Replace bytes [off, off + del) by ins[0..n). */
static inline int fuzz_splice(struct fuzz_buf *b, size_t off, size_t del, const void *ins,
			      size_t n)
{
	if (off > b->len)
		off = b->len;
	if (del > b->len - off)
		del = b->len - off;
	if (b->len - del + n > FUZZ_BUF_MAX)
		return 0;
	if (fuzz_reserve(b, b->len - del + n))
		return -ENOMEM;
	memmove(b->p + off + n, b->p + off + del, b->len - off - del);
	memcpy(b->p + off, ins, n);
	b->len = b->len - del + n;
	b->p[b->len] = '\0';
	return 0;
}

static inline void fuzz_buf_free(struct fuzz_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* A whole file into b. 0 or -errno. */
static inline int fuzz_read_file(const char *path, struct fuzz_buf *b)
{
	char chunk[65536];
	size_t n;
	FILE *f;
	int ret = 0;

	f = fopen(path, "rb");
	if (!f)
		return -errno;
	b->len = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (fuzz_reserve(b, b->len + n)) {
			ret = -ENOMEM;
			break;
		}
		memcpy(b->p + b->len, chunk, n);
		b->len += n;
	}
	if (!ret && ferror(f))
		ret = -EIO;
	fclose(f);
	if (!ret && !fuzz_reserve(b, b->len))
		b->p[b->len] = '\0';
	return ret;
}

/* The repo root from this header's path as compiled (…/tests/unit/fuzz.h), with a final '/'. */
static inline void fuzz_root(char *out, size_t size)
{
	const char *src = __FILE__, *tail = strstr(src, "tests/unit/fuzz.h");

	snprintf(out, size, "%.*s", tail ? (int)(tail - src) : 0, src);
}

/* Byte-level mutations every fuzz test uses. */
static inline void fuzz_flip_bit(struct fuzz_rng *r, struct fuzz_buf *b)
{
	if (b->len)
		b->p[fuzz_below(r, b->len)] ^= (char)(1u << fuzz_below(r, 8));
}

static inline void fuzz_set_byte(struct fuzz_rng *r, struct fuzz_buf *b)
{
	static const unsigned char special[] = {0,    0xff, 0x7f, 0x80, 0xc3, 0xfe,
						'\t', '\n', '\r', ' ',	':',  '-',
						'#',  '"',  '\'', '\\', '[',  ']',
						'{',  '}',  ',',  '&',	'*',  '!',
						'%',  '|',  '>',  '?',	'@',  '`',
						'.',  '/',  '0',  '9',	'a',  'Z'};

	if (!b->len)
		return;
	b->p[fuzz_below(r, b->len)] = fuzz_below(r, 4) ? (char)special[fuzz_below(r, sizeof(special))]
						       : (char)fuzz_next(r);
}

static inline void fuzz_truncate(struct fuzz_rng *r, struct fuzz_buf *b)
{
	b->len = fuzz_below(r, b->len + 1);
	b->p[b->len] = '\0';
}

/* Copy a random run of bytes over another place (chunk duplication). */
static inline int fuzz_dup_chunk(struct fuzz_rng *r, struct fuzz_buf *b)
{
	size_t off, n, at;
	char *tmp;
	int ret;

	if (!b->len)
		return 0;
	off = fuzz_below(r, b->len);
	n = 1 + fuzz_below(r, b->len - off < 256 ? b->len - off : 256);
	at = fuzz_below(r, b->len + 1);
	tmp = malloc(n);
	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, b->p + off, n);
	ret = fuzz_splice(b, at, fuzz_below(r, 2) ? 0 : n, tmp, n);
	free(tmp);
	return ret;
}

#endif /* FUZZ_H */
