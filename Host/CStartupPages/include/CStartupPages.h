#ifndef FERRY_STARTUP_PAGES_H
#define FERRY_STARTUP_PAGES_H

#include <stddef.h>

/* What one release took out of the process's resident set. */
typedef struct {
    /* Resident bytes of the read-only segments that were released. */
    size_t released_bytes;
    /* Read-only segments left mapped because a page of theirs was copied (a debugger's
     * breakpoint, a uprobe, a text relocation): releasing them would undo the copy. */
    size_t kept_segments;
} ferry_startup_pages_release;

/* Unmaps from this process the resident pages of every loaded object's read-only segments:
 * code, read-only data and the dynamic loader's tables (symbols, relocations) that the start
 * touched. Nothing is lost: the pages are clean copies of their files, left in the kernel's page
 * cache, and the next use maps them back (a minor fault). Writable segments, and read-only ones
 * with a copied page, are never touched. Returns 0 and fills `result`, or -1 with errno set
 * where the platform has no such release (anything but Linux) or /proc/self/smaps cannot be read. */
int ferry_release_startup_pages(ferry_startup_pages_release *result);

#endif
