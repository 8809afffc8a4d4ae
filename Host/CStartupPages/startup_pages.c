#define _GNU_SOURCE
#include "CStartupPages.h"

#include <errno.h>

#if defined(__linux__)
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* One mapping of /proc/self/smaps that may be released: read-only, backed by a file, with no
 * page of its own (no copy-on-write page: `Anonymous: 0`). */
typedef struct {
    uintptr_t start, end;
    size_t resident;
    int has_copies;
} mapping;

typedef struct {
    mapping *items;
    size_t count, capacity;
} mapping_list;

static int append(mapping_list *list, mapping item) {
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 256;
        mapping *grown = realloc(list->items, capacity * sizeof *grown);
        if (!grown) return -1;
        list->items = grown;
        list->capacity = capacity;
    }
    list->items[list->count++] = item;
    return 0;
}

/* The read-only file mappings, with their resident bytes and whether any page is a copy. */
static int read_only_file_mappings(mapping_list *list) {
    FILE *smaps = fopen("/proc/self/smaps", "re");
    if (!smaps) return -1;
    char *line = NULL;
    size_t size = 0;
    mapping *current = NULL;
    int failed = 0;
    while (getline(&line, &size, smaps) > 0) {
        unsigned long start, end, inode;
        char permissions[5];
        int path_at = 0;
        if (sscanf(line, "%lx-%lx %4s %*x %*x:%*x %lu %n", &start, &end, permissions, &inode, &path_at) >= 4) {
            current = NULL;
            /* Only a file's read-only mapping: not the heap, stacks, [vdso] or anything writable. */
            if (permissions[1] == 'w' || inode == 0 || path_at == 0 || line[path_at] != '/') continue;
            if (append(list, (mapping){start, end, 0, 0}) != 0) {
                failed = 1;
                break;
            }
            current = &list->items[list->count - 1];
        } else if (current) {
            unsigned long kib;
            if (sscanf(line, "Rss: %lu kB", &kib) == 1) current->resident = (size_t)kib << 10;
            else if (sscanf(line, "Anonymous: %lu kB", &kib) == 1 && kib > 0) current->has_copies = 1;
        }
    }
    free(line);
    fclose(smaps);
    return failed ? -1 : 0;
}

typedef struct {
    const mapping_list *mappings;
    uintptr_t page;
    ferry_startup_pages_release *result;
} release_pass;

/* Releases the mappings that lie within one object's read-only PT_LOAD segments. Only objects
 * the dynamic loader holds are looked at: they are never unmapped (ferry loads plugins with
 * RTLD_NODELETE and never closes them), so an address read from smaps still holds the same file. */
static int release_object(struct dl_phdr_info *info, size_t size, void *context) {
    (void)size;
    release_pass *pass = context;
    if (info->dlpi_name && strstr(info->dlpi_name, "linux-vdso")) return 0;
    for (int index = 0; index < info->dlpi_phnum; index++) {
        const ElfW(Phdr) *header = &info->dlpi_phdr[index];
        if (header->p_type != PT_LOAD || (header->p_flags & PF_W)) continue;
        /* The loader maps a segment a whole page at a time. */
        uintptr_t first = info->dlpi_addr + header->p_vaddr;
        uintptr_t last = first + header->p_memsz;
        first -= first % pass->page;
        last += (pass->page - last % pass->page) % pass->page;
        for (size_t item = 0; item < pass->mappings->count; item++) {
            const mapping *candidate = &pass->mappings->items[item];
            if (candidate->start < first || candidate->end > last) continue;
            if (candidate->has_copies) {
                pass->result->kept_segments++;
                continue;
            }
            if (candidate->resident == 0) continue;
            if (madvise((void *)candidate->start, candidate->end - candidate->start, MADV_DONTNEED) == 0)
                pass->result->released_bytes += candidate->resident;
        }
    }
    return 0;
}

int ferry_release_startup_pages(ferry_startup_pages_release *result) {
    memset(result, 0, sizeof *result);
    mapping_list mappings = {0};
    if (read_only_file_mappings(&mappings) != 0) {
        int saved = errno;
        free(mappings.items);
        errno = saved ? saved : ENOMEM;
        return -1;
    }
    release_pass pass = {&mappings, (uintptr_t)sysconf(_SC_PAGESIZE), result};
    dl_iterate_phdr(release_object, &pass);
    free(mappings.items);
    return 0;
}

#else
int ferry_release_startup_pages(ferry_startup_pages_release *result) {
    result->released_bytes = 0;
    result->kept_segments = 0;
    errno = ENOSYS;
    return -1;
}
#endif
