// SPDX-License-Identifier: GPL-2.0
/*
 * BIRD reply parser fuzzing: real replies (greeting, enable/disable,
 * configure, show protocols, errors, async lines) mutated and random
 * bytes, fed in random chunk sizes to edge_bird_parse(). Every call
 * consumes what it says, every reply is whole (code 0..9999, at least one
 * line, text without NUL or newline), an error is -EBADMSG with a
 * "line N: " message and sticks; and feeding the same bytes in other
 * chunks gives the same replies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route_bird.h"

#include "fuzz.h"
#include "unit.h"

#define BIRD_FUZZ_ITERS 30000

static const char *const bird_corpus[] = {
	"0001 BIRD 2.0.12 ready.\n",
	"0009 acast: disabled\n",
	"0008 acast: already disabled\n",
	"0011 acast: enabled\n0000 \n",
	"0010 acast: already enabled\n",
	"0002-Reading configuration from /etc/bird/bird.conf\n0003 Reconfigured\n",
	"0004 Reconfiguration in progress\n",
	"2002-Name       Proto      Table      State  Since         Info\n"
	"1002-acast      Static     master4    up     12:00:00.000  \n"
	" \n"
	"1006-  Channel ipv4\n"
	"     State:          UP\n"
	"0000 \n",
	"8001 Network not found\n",
	"9001 syntax error, unexpected CF_SYM_UNDEFINED\n",
	"+0000 async message\n",
	"0013-Status of BIRD 2.0.12\n1000-Router ID is 198.51.100.1\n0000 \n",
	"1002-x\n 0000\n",
	"0000\n",
	"0001 \n",
};

struct collected {
	char text[1 << 16]; /* every reply as "CODE:text|text;" */
	size_t len;
	int err;
	unsigned long replies;
};

static void put(struct collected *c, const char *fmt, const char *s, int code)
{
	int n = snprintf(c->text + c->len, sizeof(c->text) - c->len, fmt, code, s);

	if (n > 0 && (size_t)n < sizeof(c->text) - c->len)
		c->len += n;
}

/* Feed b in chunks from chunk_rng (NULL: one byte at a time). NULL if fine, else why not. */
static const char *feed(const struct fuzz_buf *b, struct fuzz_rng *chunk_rng,
			struct collected *c)
{
	struct edge_bird_parser p;
	struct edge_bird_reply r;
	size_t off = 0, n, used, i;
	const char *bad = NULL;
	int ret;

	c->len = 0;
	c->text[0] = '\0';
	c->err = 0;
	c->replies = 0;
	edge_bird_parser_init(&p);
	while (off < b->len && !bad) {
		n = chunk_rng ? 1 + fuzz_below(chunk_rng, 64) : 1;
		if (n > b->len - off)
			n = b->len - off;
		while (n && !bad) {
			used = (size_t)-1;
			ret = edge_bird_parse(&p, b->p + off, n, &used, &r);
			if (ret < 0) {
				if (ret != -EBADMSG && ret != -ENOMEM)
					bad = "error other than -EBADMSG";
				else if (strncmp(p.errmsg, "line ", 5))
					bad = "error message without 'line N: '";
				c->err = ret;
				/* Sticky: nothing more is taken. */
				if (!bad && edge_bird_parse(&p, "0001 x\n", 7, &used, &r) != ret)
					bad = "the error did not stick";
				goto out;
			}
			if (used > n)
				bad = "used more than given";
			else if (ret == 0 && used != n)
				bad = "no reply, but not everything consumed";
			else if (ret == 1) {
				if (!used)
					bad = "a reply from no bytes";
				else if (r.code < 0 || r.code > 9999 || !r.n_lines)
					bad = "reply with a bad code or no lines";
				for (i = 0; !bad && i < r.n_lines; i++) {
					if (!r.lines[i].text || strchr(r.lines[i].text, '\n'))
						bad = "line text NULL or with a newline";
					else if (r.lines[i].code < 0 || r.lines[i].code > 9999)
						bad = "line code out of range";
					else
						put(c, i ? "|%d:%s" : "%d:%s", r.lines[i].text,
						    r.lines[i].code);
				}
				put(c, ";%d%s", "", r.code);
				c->replies++;
				edge_bird_reply_msg(&r);
				edge_bird_reply_is_error(&r);
				edge_bird_reply_free(&r);
			}
			off += used;
			n -= used;
		}
	}
out:
	edge_bird_parser_free(&p);
	return bad;
}

static void mutate(struct fuzz_rng *r, struct fuzz_buf *b)
{
	static const char *const bits[] = {"0000 ", "0001-", " ", "\n", "+", "9999 ", "1002-",
					   "\0", "\r\n", "12345 ", "000", "-"};
	const char *s;

	switch (fuzz_below(r, 6)) {
	case 0:
		fuzz_flip_bit(r, b);
		break;
	case 1:
		fuzz_set_byte(r, b);
		break;
	case 2:
		fuzz_truncate(r, b);
		break;
	case 3:
		fuzz_dup_chunk(r, b);
		break;
	case 4:
		s = bits[fuzz_below(r, sizeof(bits) / sizeof(bits[0]))];
		fuzz_splice(b, fuzz_below(r, b->len + 1), 0, s, *s ? strlen(s) : 1);
		break;
	default: { /* a long line */
		static char lng[EDGE_BIRD_LINE_MAX + 16];
		size_t n = EDGE_BIRD_LINE_MAX - 8 + fuzz_below(r, 16);

		memset(lng, 'x', n);
		memcpy(lng, "1002-", 5);
		fuzz_splice(b, fuzz_below(r, b->len + 1), 0, lng, n);
		break;
	}
	}
}

TEST(bird_fuzz_random_replies_parse_or_fail_cleanly)
{
	unsigned long iters = fuzz_iters(BIRD_FUZZ_ITERS), it, replies = 0, errors = 0;
	struct fuzz_rng rng = {.s = fuzz_seed(0x62697264ULL)}, chunks = {.s = 7};
	static struct collected a, b;
	struct fuzz_buf in = {};
	const char *bad = NULL;
	size_t k, i;

	for (it = 0; it < iters && !bad; it++) {
		fuzz_set(&in, "", 0);
		if (fuzz_below(&rng, 10)) {
			for (k = 1 + fuzz_below(&rng, 5); k; k--) {
				const char *s = bird_corpus[fuzz_below(
					&rng, sizeof(bird_corpus) / sizeof(bird_corpus[0]))];

				fuzz_splice(&in, in.len, 0, s, strlen(s));
			}
			for (k = fuzz_below(&rng, 4); k; k--)
				mutate(&rng, &in);
		} else { /* plain random bytes, newlines sprinkled in */
			for (k = fuzz_below(&rng, 600), i = 0; i < k; i++) {
				char ch = fuzz_below(&rng, 10) ? (char)fuzz_next(&rng) : '\n';

				fuzz_splice(&in, in.len, 0, &ch, 1);
			}
		}
		bad = feed(&in, &chunks, &a);
		if (!bad && in.len < 20000) {
			/* The same bytes one at a time: the same replies and outcome. */
			bad = feed(&in, NULL, &b);
			if (!bad && (a.len != b.len || memcmp(a.text, b.text, a.len) ||
				     a.err != b.err))
				bad = "other replies when fed a byte at a time";
		}
		replies += a.replies;
		errors += !!a.err;
	}
	if (bad) {
		FILE *f = fopen("/tmp/anyedge-bird-fuzz-fail.txt", "wb");

		if (f) {
			fwrite(in.p, 1, in.len, f);
			fclose(f);
		}
		fuzz_buf_free(&in);
		FAIL("iteration %lu (input in /tmp/anyedge-bird-fuzz-fail.txt): %s", it - 1, bad);
	}
	fuzz_buf_free(&in);
	printf("# bird fuzz: %lu inputs: %lu replies, %lu streams refused\n", iters, replies,
	       errors);
	fflush(stdout);
	ASSERT_TRUE(replies > iters);
	ASSERT_TRUE(errors > iters / 10);
	ASSERT_EQ(fuzz_leaks(), 0);
}
