#ifndef FERRY_ALLOCATOR_SETTINGS_H
#define FERRY_ALLOCATOR_SETTINGS_H

/* glibc's malloc thresholds `ferry` runs with, unless the user set either (MALLOC_MMAP_THRESHOLD_,
 * MALLOC_TRIM_THRESHOLD_, or their GLIBC_TUNABLES names): docs/performance.md, *Freed memory
 * given back*.
 *
 * Left to itself, glibc raises both thresholds each time a block mapped on its own is freed:
 * once the merge stage's values have grown by doubling to 16 MiB, every allocation under 16 MiB
 * comes from the arenas, and up to 32 MiB of free memory may stay resident at an arena's top.
 * Fixed, blocks of 4 MiB or more are mapped on their own and given back when freed, and an
 * arena's free top is given back past 1 MiB. (At 128 KiB an arena shrank and grew again so
 * often that a run took 5% more CPU; at 4 MiB rather than 1, blocks of 1 to 4 MiB stay in the
 * arenas, reused rather than mapped and faulted in again.) */
#define FERRY_MMAP_THRESHOLD_BYTES (4 * 1024 * 1024)
#define FERRY_TRIM_THRESHOLD_BYTES (1024 * 1024)

/* Nothing else is declared: the settings are put in force by the executable's own
 * `.preinit_array` (allocator_settings.c), which needs no caller. */

#endif
