/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libFuzzer target for the SDK wire decoder (src/shared/proto.c), the code that reads what
 * sandboxed processes send the supervisor. On arbitrary bytes proto_decode() must return 0,
 * -EBADMSG or -EPROTO, never read past the input (ASan), and whatever it accepts must encode back
 * to exactly the same bytes: one message, one byte string.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc/shared \
 *		fuzz/fuzz-proto.c src/shared/proto.c -o fuzz-proto
 *	./fuzz-proto fuzz/corpus/proto
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* s, when set, lies inside the input and its NUL is the input's last byte. */
static void check_string(const char *s, const uint8_t *data, size_t size)
{
	if (!s)
		return;
	if ((const uint8_t *)s < data + PROTO_HEADER_SIZE || (const uint8_t *)s >= data + size)
		abort();
	if ((const uint8_t *)s + strlen(s) != data + size - 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[PROTO_MAX_MSG];
	struct proto_msg m, again;
	size_t len = 0;
	int r;

	r = proto_decode(data, size, &m);
	if (r == -EBADMSG || r == -EPROTO)
		return 0;
	if (r != 0)
		abort();

	check_string(m.path, data, size);
	check_string(m.token, data, size);
	check_string(m.message, data, size);

	if (proto_encode(&m, out, sizeof(out), &len) != 0)
		abort();
	if (len != size || memcmp(out, data, size) != 0)
		abort();
	if (proto_decode(out, len, &again) != 0 || again.type != m.type || again.id != m.id)
		abort();
	return 0;
}
