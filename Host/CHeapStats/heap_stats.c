#include "CHeapStats.h"

#include <stdlib.h> /* defines __GLIBC__ on glibc */

#if defined(__GLIBC__)
#include <malloc.h>
#endif

size_t ferry_heap_bytes_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    /* mallinfo2, not mallinfo: its fields are size_t, so a heap past 2 GiB does not wrap. */
    struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
#else
    return (size_t)-1;
#endif
}
