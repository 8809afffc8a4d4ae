#include "CAllocatorSettings.h"

#include <stdlib.h> /* defines __GLIBC__ on glibc */
#include <string.h>

#if defined(__GLIBC__)
#include <malloc.h>

/* Whether `assignment` (NAME=value) tunes a threshold itself: the user's choice wins. */
static int ferry_sets_a_malloc_threshold(const char *assignment) {
    if (strncmp(assignment, "MALLOC_MMAP_THRESHOLD_=", 23) == 0) return 1;
    if (strncmp(assignment, "MALLOC_TRIM_THRESHOLD_=", 23) == 0) return 1;
    if (strncmp(assignment, "GLIBC_TUNABLES=", 15) == 0)
        return strstr(assignment, "glibc.malloc.mmap_threshold") != NULL
            || strstr(assignment, "glibc.malloc.trim_threshold") != NULL;
    return 0;
}

/* Runs from the executable's `.preinit_array`: before any library's constructor and before any
 * thread, so every arena starts with the same settings. That early, libc has not set `environ`
 * yet (crash_report_settings.c), so the environment is read from `envp`. */
static void ferry_apply_allocator_settings(int argc, char **argv, char **envp) {
    (void)argc;
    (void)argv;
    for (char **assignment = envp; *assignment != NULL; assignment++)
        if (ferry_sets_a_malloc_threshold(*assignment)) return;
    /* Setting either threshold also stops glibc from moving both. */
    mallopt(M_MMAP_THRESHOLD, FERRY_MMAP_THRESHOLD_BYTES);
    mallopt(M_TRIM_THRESHOLD, FERRY_TRIM_THRESHOLD_BYTES);
}

__attribute__((used, section(".preinit_array"))) static void (*const ferry_allocator_preinit[])(int, char **, char **) = {
    ferry_apply_allocator_settings,
};
#endif
