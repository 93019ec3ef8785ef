/*
 * blobhash: the 1 MiB "BLOB" worker of the seed article, base64 on the wire.
 *
 * Each stdin line is one task: a base64-encoded blob (standard alphabet,
 * '=' padding, no line breaks).  The worker decodes it, hashes the bytes
 * with 64-bit FNV-1a taken a 64-bit little-endian word at a time (cheap, so
 * the coordinator's handling of a 1.4 MB line stays visible next to the
 * worker's own work), and answers one base64 line encoding 16 bytes:
 * the decoded length and the hash, both big-endian.  Flushes each answer.
 * A line that is not valid base64 is an error: message, exit 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static signed char dec[256];

static void dec_init(void)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	memset(dec, -1, sizeof dec);
	for (int i = 0; i < 64; i++)
		dec[(unsigned char)alpha[i]] = (signed char)i;
}

/* Decodes src[0..len) in place into src; returns the byte count or -1. */
static long b64_decode(unsigned char *src, size_t len)
{
	if (len % 4 != 0)
		return -1;
	size_t pad = 0;
	if (len >= 4 && src[len - 1] == '=')
		pad = src[len - 2] == '=' ? 2 : 1;
	unsigned char *out = src;
	for (size_t i = 0; i < len; i += 4) {
		int a = dec[src[i]], b = dec[src[i + 1]];
		int c = dec[src[i + 2]], d = dec[src[i + 3]];
		int last = i + 4 == len;
		if (last && pad >= 1)
			d = 0;
		if (last && pad == 2)
			c = 0;
		if ((a | b | c | d) < 0)
			return -1;
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
		*out++ = (unsigned char)(v >> 16);
		*out++ = (unsigned char)(v >> 8);
		*out++ = (unsigned char)v;
	}
	return (long)((size_t)(out - src) - pad);
}

static uint64_t fnv1a64_words(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w = 0;
		for (int k = 7; k >= 0; k--)
			w = w << 8 | p[i + (size_t)k];
		h = (h ^ w) * 0x100000001b3u;
	}
	for (; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3u;
	return h;
}

static void b64_encode(const unsigned char *in, size_t n, char *out)
{
	static const char alpha[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*out++ = alpha[v >> 18 & 63];
		*out++ = alpha[v >> 12 & 63];
		*out++ = alpha[v >> 6 & 63];
		*out++ = alpha[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		*out++ = alpha[v >> 18 & 63];
		*out++ = alpha[v >> 12 & 63];
		*out++ = '=';
		*out++ = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		*out++ = alpha[v >> 18 & 63];
		*out++ = alpha[v >> 12 & 63];
		*out++ = alpha[v >> 6 & 63];
		*out++ = '=';
	}
	*out = '\0';
}

int main(int argc, char **argv)
{
	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: blobhash < base64-lines\n");
		return 2;
	}
	dec_init();

	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long task = 0;
	while ((len = getline(&line, &cap, stdin)) > 0) {
		task++;
		if (line[len - 1] == '\n')
			len--;
		long n = b64_decode((unsigned char *)line, (size_t)len);
		if (n < 0) {
			fprintf(stderr, "blobhash: task %lu: invalid base64\n", task);
			return 1;
		}
		uint64_t h = fnv1a64_words((unsigned char *)line, (size_t)n);
		unsigned char digest[16];
		for (int k = 0; k < 8; k++) {
			digest[k] = (unsigned char)((uint64_t)n >> (56 - 8 * k));
			digest[8 + k] = (unsigned char)(h >> (56 - 8 * k));
		}
		char answer[25];
		b64_encode(digest, sizeof digest, answer);
		puts(answer);
		if (fflush(stdout) != 0)
			return 1;
	}
	free(line);
	return ferror(stdin) ? 1 : 0;
}
