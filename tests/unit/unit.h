/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny unit-test framework.
 *
 *	TEST(dns_name_root_is_one_byte)
 *	{
 *		__u8 wire[256];
 *
 *		ASSERT_EQ(edge_dns_name_to_wire(".", wire, sizeof(wire)), 1);
 *	}
 *
 * TEST() registers the function from a constructor, so tests can live in
 * any number of .c files linked with main.c. A failed ASSERT_* records
 * file:line and what it saw and returns from the test; SKIP() likewise.
 * main.c runs each test in a child process and prints one line per test:
 *
 *	ok NAME
 *	FAIL NAME: file:line: what
 *	skip NAME: why
 *
 * The ASSERT_* macros return from the function they are in, so use them
 * in the TEST() body itself (helpers should return values to assert on).
 */
#ifndef UNIT_H
#define UNIT_H

#include <stddef.h>
#include <string.h>

enum unit_status {
	UNIT_PASS,
	UNIT_FAIL,
	UNIT_SKIP,
};

/* What a test reports back; written by the macros below. */
struct unit_state {
	enum unit_status status;
	char msg[1024]; /* "file:line: what" or the skip reason */
};

struct unit_test {
	const char *name;
	const char *file;
	int line;
	void (*fn)(struct unit_state *unit_);
	struct unit_test *next;
};

void unit_register(struct unit_test *test);

__attribute__((format(printf, 5, 6))) void unit_fail(struct unit_state *unit_,
						     enum unit_status status, const char *file,
						     int line, const char *fmt, ...);

#define TEST(name_)                                                          \
	static void test_##name_(struct unit_state *unit_);                  \
	static struct unit_test unit_test_##name_ = {                        \
		.name = #name_,                                              \
		.file = __FILE__,                                            \
		.line = __LINE__,                                            \
		.fn = test_##name_,                                          \
	};                                                                   \
	__attribute__((constructor)) static void unit_register_##name_(void) \
	{                                                                    \
		unit_register(&unit_test_##name_);                           \
	}                                                                    \
	static void test_##name_(struct unit_state *unit_ __attribute__((unused)))

#define UNIT_FAIL_(...)                                                       \
	do {                                                                  \
		unit_fail(unit_, UNIT_FAIL, __FILE__, __LINE__, __VA_ARGS__); \
		return;                                                       \
	} while (0)

#define SKIP(...)                                                  \
	do {                                                       \
		unit_fail(unit_, UNIT_SKIP, NULL, 0, __VA_ARGS__); \
		return;                                            \
	} while (0)

#define FAIL(...) UNIT_FAIL_(__VA_ARGS__)

/*
 * Integers (any width and signedness) and pointers compare as long long,
 * each operand evaluated once.
 */
#define ASSERT_EQ(a, b)                                                                \
	do {                                                                           \
		long long a_ = (long long)(a), b_ = (long long)(b);                    \
		if (a_ != b_)                                                          \
			UNIT_FAIL_("ASSERT_EQ(%s, %s): %lld != %lld", #a, #b, a_, b_); \
	} while (0)

#define ASSERT_NE(a, b)                                                             \
	do {                                                                        \
		long long a_ = (long long)(a), b_ = (long long)(b);                 \
		if (a_ == b_)                                                       \
			UNIT_FAIL_("ASSERT_NE(%s, %s): both are %lld", #a, #b, a_); \
	} while (0)

#define ASSERT_TRUE(cond)                                            \
	do {                                                         \
		if (!(cond))                                         \
			UNIT_FAIL_("ASSERT_TRUE(%s): false", #cond); \
	} while (0)

#define ASSERT_FALSE(cond)                                           \
	do {                                                         \
		if (cond)                                            \
			UNIT_FAIL_("ASSERT_FALSE(%s): true", #cond); \
	} while (0)

#define ASSERT_STREQ(a, b)                                                           \
	do {                                                                         \
		const char *a_ = (a), *b_ = (b);                                     \
		if (!a_ || !b_ || strcmp(a_, b_))                                    \
			UNIT_FAIL_("ASSERT_STREQ(%s, %s): \"%s\" != \"%s\"", #a, #b, \
				   a_ ? a_ : "(null)", b_ ? b_ : "(null)");          \
	} while (0)

/* hay contains needle. */
#define ASSERT_STRSTR(hay, needle)                                                              \
	do {                                                                                    \
		const char *h_ = (hay), *n_ = (needle);                                         \
		if (!h_ || !n_ || !strstr(h_, n_))                                              \
			UNIT_FAIL_("ASSERT_STRSTR(%s, %s): \"%s\" lacks \"%s\"", #hay, #needle, \
				   h_ ? h_ : "(null)", n_ ? n_ : "(null)");                     \
	} while (0)

/* The first len bytes of a and b are equal; names the first that is not. */
#define ASSERT_MEMEQ(a, b, len)                                                                 \
	do {                                                                                    \
		const unsigned char *ma_ = (const void *)(a), *mb_ = (const void *)(b);         \
		size_t len_ = (len), i_;                                                        \
		for (i_ = 0; i_ < len_ && ma_[i_] == mb_[i_]; i_++)                             \
			;                                                                       \
		if (i_ < len_)                                                                  \
			UNIT_FAIL_("ASSERT_MEMEQ(%s, %s, %zu): byte %zu: 0x%02x != 0x%02x", #a, \
				   #b, len_, i_, ma_[i_], mb_[i_]);                             \
	} while (0)

/* ret is 0 (a function returning 0 or -errno succeeded). */
#define ASSERT_OK(ret)                                                            \
	do {                                                                      \
		long long r_ = (long long)(ret);                                  \
		if (r_)                                                           \
			UNIT_FAIL_("ASSERT_OK(%s): got %lld (%s)", #ret, r_,      \
				   r_ < 0 ? strerror((int)-r_) : "not an errno"); \
	} while (0)

/* ret is negative (a function returning 0 or -errno failed). */
#define ASSERT_ERR(ret)                                                                      \
	do {                                                                                 \
		long long r_ = (long long)(ret);                                             \
		if (r_ >= 0)                                                                 \
			UNIT_FAIL_("ASSERT_ERR(%s): expected an error, got %lld", #ret, r_); \
	} while (0)

#endif /* UNIT_H */
