#ifndef FERRY_HEAP_STATS_H
#define FERRY_HEAP_STATS_H

#include <stddef.h>

/* Bytes the C allocator holds in use across every arena, mmapped blocks included
 * (glibc's mallinfo2); the conformance kit's leak check compares it between rounds.
 * Returns (size_t)-1 where the C library does not report it. */
size_t ferry_heap_bytes_in_use(void);

#endif
