#ifndef FERRY_CRASH_REPORT_SETTINGS_H
#define FERRY_CRASH_REPORT_SETTINGS_H

#include <stddef.h>

/* What `ferry` adds to SWIFT_BACKTRACE: the backtrace (plugin file, symbol, host
 * frames) and the images it mentions, but no registers, whose 16 bytes of pointed-at
 * memory can be environment text or a token: secrets past the redactor. */
#define FERRY_CRASH_REPORT_SETTINGS "registers=none,images=mentioned"

/* Writes the SWIFT_BACKTRACE value to run with into `buffer`: `current` (NULL when
 * unset) with FERRY_CRASH_REPORT_SETTINGS appended, since the last `key=value` wins
 * and the user's other settings (`enable=no`, `output-to=stderr`) are kept.
 * Returns 0 when `current` already ends with the settings (nothing to write), 1 when
 * `buffer` holds the value, -1 when it needs more than `capacity` bytes. */
int ferry_crash_report_settings(const char *current, char *buffer, size_t capacity);

#endif
