/* json_parse.h: a small strict reader of flat JSON objects, written apart
 * from src/json.c so the tests check its output against RFC 8259 and
 * RFC 3629 rather than against itself.
 *
 * Reads exactly one object whose values are strings, numbers or null (what
 * procpool writes), with no white space: a member name, a string's bytes
 * after unescaping (\uXXXX to UTF-8, surrogate pairs joined), a number's
 * text. Rejects raw control characters and invalid UTF-8 inside strings,
 * bad escapes, lone surrogates, duplicate names and trailing bytes. */
#ifndef PROCPOOL_JSON_PARSE_H
#define PROCPOOL_JSON_PARSE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum jp_type { JP_NULL, JP_STRING, JP_NUMBER };

struct jp_member {
	char key[32];
	enum jp_type type;
	char *val; /* malloc'd; the string's bytes or the number's text */
	size_t len;
};

#define JP_MEMBERS 32
struct jp_object {
	struct jp_member m[JP_MEMBERS];
	int n;
	const char *why; /* why parsing failed */
	size_t at;       /* and where */
};

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0: the
 * table of RFC 3629, section 4. */
static inline size_t jp_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
	else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static inline bool jp_is_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0, k; i < n; i += k)
		if ((k = jp_utf8_len(p + i, n - i)) == 0)
			return false;
	return true;
}

static inline size_t jp_put_utf8(char *o, uint32_t c)
{
	if (c < 0x80)
		return o[0] = (char)c, 1;
	if (c < 0x800)
		return o[0] = (char)(0xc0 | c >> 6), o[1] = (char)(0x80 | (c & 63)), 2;
	if (c < 0x10000)
		return o[0] = (char)(0xe0 | c >> 12), o[1] = (char)(0x80 | (c >> 6 & 63)),
		       o[2] = (char)(0x80 | (c & 63)), 3;
	return o[0] = (char)(0xf0 | c >> 18), o[1] = (char)(0x80 | (c >> 12 & 63)),
	       o[2] = (char)(0x80 | (c >> 6 & 63)), o[3] = (char)(0x80 | (c & 63)), 4;
}

struct jp_in {
	const unsigned char *s;
	size_t n, i;
	struct jp_object *o;
};

static inline bool jp_fail(struct jp_in *in, const char *why)
{
	if (!in->o->why) {
		in->o->why = why;
		in->o->at = in->i;
	}
	return false;
}

static inline bool jp_hex4(struct jp_in *in, uint32_t *v)
{
	*v = 0;
	for (int k = 0; k < 4; k++, in->i++) {
		unsigned char c = in->i < in->n ? in->s[in->i] : 0;
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return jp_fail(in, "bad \\u escape");
		*v = *v << 4 | (uint32_t)d;
	}
	return true;
}

/* \uXXXX (after the backslash and u), a surrogate pair joined. */
static inline bool jp_unicode(struct jp_in *in, uint32_t *c)
{
	uint32_t lo;
	if (!jp_hex4(in, c))
		return false;
	if (*c >= 0xdc00 && *c <= 0xdfff)
		return jp_fail(in, "lone low surrogate");
	if (*c < 0xd800 || *c > 0xdbff)
		return true;
	if (in->i + 2 > in->n || in->s[in->i] != '\\' || in->s[in->i + 1] != 'u')
		return jp_fail(in, "lone high surrogate");
	in->i += 2;
	if (!jp_hex4(in, &lo) || lo < 0xdc00 || lo > 0xdfff)
		return jp_fail(in, "lone high surrogate");
	*c = 0x10000 + ((*c - 0xd800) << 10) + (lo - 0xdc00);
	return true;
}

/* One escape after the backslash, appended to out at *o. */
static inline bool jp_escape(struct jp_in *in, char *out, size_t *o)
{
	static const char named[] = "\"\\/bfnrt", value[] = "\"\\/\b\f\n\r\t";
	if (in->i >= in->n)
		return jp_fail(in, "string not closed");
	unsigned char e = in->s[in->i++];
	const char *k = memchr(named, e, sizeof named - 1);
	if (k) {
		out[(*o)++] = value[k - named];
		return true;
	}
	uint32_t c;
	if (e != 'u')
		return jp_fail(in, "bad escape");
	if (!jp_unicode(in, &c))
		return false;
	*o += jp_put_utf8(out + *o, c);
	return true;
}

/* A string at in->i (its opening quote), into a fresh malloc'd buffer. */
static inline bool jp_string(struct jp_in *in, char **val, size_t *len)
{
	char *out = malloc(in->n - in->i + 1);
	size_t o = 0;
	*val = out;
	in->i++;
	while (in->i < in->n && in->s[in->i] != '"') {
		unsigned char c = in->s[in->i];
		size_t k;
		if (c < 0x20)
			return jp_fail(in, "raw control character in a string");
		if (c == '\\') {
			in->i++;
			if (!jp_escape(in, out, &o))
				return false;
			continue;
		}
		if ((k = jp_utf8_len(in->s + in->i, in->n - in->i)) == 0)
			return jp_fail(in, "invalid UTF-8 in a string");
		memcpy(out + o, in->s + in->i, k);
		o += k;
		in->i += k;
	}
	if (in->i >= in->n)
		return jp_fail(in, "string not closed");
	in->i++;
	*len = o;
	return true;
}

static inline size_t jp_digits(struct jp_in *in)
{
	size_t k = 0;
	while (in->i < in->n && in->s[in->i] >= '0' && in->s[in->i] <= '9')
		in->i++, k++;
	return k;
}

/* A number, as RFC 8259's grammar has it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static inline bool jp_number(struct jp_in *in, char **val, size_t *len)
{
	size_t start = in->i;
	if (in->i < in->n && in->s[in->i] == '-')
		in->i++;
	size_t lead = in->i;
	size_t k = jp_digits(in);
	if (k == 0 || (k > 1 && in->s[lead] == '0'))
		return jp_fail(in, "bad number");
	if (in->i < in->n && in->s[in->i] == '.') {
		in->i++;
		if (jp_digits(in) == 0)
			return jp_fail(in, "bad fraction");
	}
	if (in->i < in->n && (in->s[in->i] == 'e' || in->s[in->i] == 'E')) {
		in->i++;
		if (in->i < in->n && (in->s[in->i] == '+' || in->s[in->i] == '-'))
			in->i++;
		if (jp_digits(in) == 0)
			return jp_fail(in, "bad exponent");
	}
	*len = in->i - start;
	*val = malloc(*len + 1);
	memcpy(*val, in->s + start, *len);
	(*val)[*len] = '\0';
	return true;
}

static inline bool jp_value(struct jp_in *in, struct jp_member *m)
{
	if (in->i < in->n && in->s[in->i] == '"') {
		m->type = JP_STRING;
		return jp_string(in, &m->val, &m->len);
	}
	if (in->n - in->i >= 4 && memcmp(in->s + in->i, "null", 4) == 0) {
		in->i += 4;
		m->type = JP_NULL;
		return true;
	}
	m->type = JP_NUMBER;
	return jp_number(in, &m->val, &m->len);
}

static inline const struct jp_member *jp_get(const struct jp_object *o, const char *key)
{
	for (int k = 0; k < o->n; k++)
		if (strcmp(o->m[k].key, key) == 0)
			return &o->m[k];
	return NULL;
}

static inline bool jp_member(struct jp_in *in)
{
	struct jp_object *o = in->o;
	char *key;
	size_t klen;
	if (o->n == JP_MEMBERS)
		return jp_fail(in, "too many members");
	if (in->i >= in->n || in->s[in->i] != '"')
		return jp_fail(in, "expected a name");
	bool ok = jp_string(in, &key, &klen) && klen < sizeof o->m[0].key;
	if (ok) {
		memcpy(o->m[o->n].key, key, klen);
		o->m[o->n].key[klen] = '\0';
	}
	free(key);
	if (!ok)
		return jp_fail(in, "bad name");
	if (jp_get(o, o->m[o->n].key))
		return jp_fail(in, "duplicate name");
	if (in->i >= in->n || in->s[in->i++] != ':')
		return jp_fail(in, "expected ':'");
	return jp_value(in, &o->m[o->n++]);
}

static inline void jp_free(struct jp_object *o)
{
	for (int k = 0; k < JP_MEMBERS; k++) {
		free(o->m[k].val);
		o->m[k].val = NULL;
	}
	o->n = 0;
}

/* Parse s[0..n) as one object into o. 0, or -1 with o->why and o->at. */
static inline int jp_parse(const char *s, size_t n, struct jp_object *o)
{
	struct jp_in in = {(const unsigned char *)s, n, 0, o};
	memset(o, 0, sizeof *o);
	if (n == 0 || s[0] != '{')
		return jp_fail(&in, "expected '{'"), -1;
	in.i = 1;
	if (in.i < n && s[in.i] == '}') {
		in.i++;
	} else {
		while (jp_member(&in) && in.i < n && s[in.i] == ',')
			in.i++;
		if (o->why || in.i >= n || s[in.i++] != '}')
			return jp_fail(&in, "expected ',' or '}'"), -1;
	}
	if (in.i != n)
		return jp_fail(&in, "bytes after the object"), -1;
	return 0;
}

#endif
