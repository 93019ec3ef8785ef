/* b64scan: how far a text is made of base64 alphabet characters, at memory
 * speed. Pure: no I/O, no state.
 *
 * Validating a base64 line costs the coordinator a pass over every byte of
 * every -b record; a byte-at-a-time table lookup runs at ~2 GB/s, which for
 * 1 MiB records is as much CPU as the copies. This looks at 32 bytes per
 * step with AVX2 where the CPU has it, 16 with SSE2 (always there on
 * x86-64), and else a byte at a time. */
#ifndef PROCPOOL_B64SCAN_H
#define PROCPOOL_B64SCAN_H

#include <stddef.h>

/* The number of leading bytes of p[0..n) in A-Z a-z 0-9 + / ('=' is not). */
size_t b64scan_span(const char *p, size_t n);

#endif
