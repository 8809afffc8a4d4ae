#ifndef FERRY_CRASH_REPORT_SETTINGS_H
#define FERRY_CRASH_REPORT_SETTINGS_H

/* What `ferry` adds to SWIFT_BACKTRACE: the backtrace (plugin file, symbol, host
 * frames) and the images it mentions, but no registers, whose 16 bytes of pointed-at
 * memory can be environment text or a token: secrets past the redactor. */
#define FERRY_CRASH_REPORT_SETTINGS "registers=none,images=mentioned"

/* Nothing else is declared: the settings are put in force by the executable's own
 * `.preinit_array` (crash_report_settings.c), which needs no caller. */

#endif
