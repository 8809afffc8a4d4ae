#include "CCrashReportSettings.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes the SWIFT_BACKTRACE value to run with into `buffer`: `current` (NULL when
 * unset) with FERRY_CRASH_REPORT_SETTINGS appended, since the last `key=value` wins
 * and the user's other settings (`enable=no`, `output-to=stderr`) are kept.
 * Returns 0 when `current` already ends with the settings (nothing to write), 1 when
 * `buffer` holds the value, -1 when it needs more than `capacity` bytes. */
static int ferry_crash_report_settings(const char *current, char *buffer, size_t capacity) {
    static const char required[] = FERRY_CRASH_REPORT_SETTINGS;
    size_t required_length = sizeof(required) - 1;
    size_t current_length = current ? strlen(current) : 0;
    if (current_length == required_length && memcmp(current, required, required_length) == 0) return 0;
    if (current_length > required_length && current[current_length - required_length - 1] == ','
        && memcmp(current + current_length - required_length, required, required_length) == 0)
        return 0;
    size_t separator = current_length > 0 ? 1 : 0;
    if (current_length + separator + required_length + 1 > capacity) return -1;
    if (current_length > 0) {
        memcpy(buffer, current, current_length);
        buffer[current_length] = ',';
    }
    memcpy(buffer + current_length + separator, required, required_length + 1);
    return 1;
}

/* Variables that no library's constructor reads: ferry may lend one's slot of the environment
 * array to SWIFT_BACKTRACE while those constructors run (see below). They are set by shells
 * (`_`, SHLVL, OLDPWD), systemd (INVOCATION_ID, JOURNAL_STREAM, SYSTEMD_EXEC_PID), container
 * runtimes (HOSTNAME) and ssh, which between them start nearly every `ferry`. */
static const char *const ferry_lendable_variables[] = {
    "_", "SHLVL", "OLDPWD", "INVOCATION_ID", "JOURNAL_STREAM", "SYSTEMD_EXEC_PID",
    "HOSTNAME", "SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY", "MAIL", NULL,
};

/* The `NAME=value` text whose slot SWIFT_BACKTRACE was given, until it is put back. */
static char *ferry_lent_variable;

static int ferry_is_lendable(const char *assignment) {
    for (const char *const *name = ferry_lendable_variables; *name != NULL; name++) {
        size_t length = strlen(*name);
        if (strncmp(assignment, *name, length) == 0 && assignment[length] == '=') return 1;
    }
    return 0;
}

/* Swift's runtime reads SWIFT_BACKTRACE once, in a constructor of libswiftCore, before
 * any code of `ferry`'s own runs. An executable's `.preinit_array` runs earlier, before
 * the constructors of every library it loads, so the settings are put in force here.
 * It runs before libc's own start-up has set `environ` (setenv would be undone), so it
 * works on the `envp` array the loader passes on to libc, which cannot grow:
 * - an existing SWIFT_BACKTRACE is replaced in place, with no cost;
 * - a missing one borrows the slot of a variable no constructor reads (`_`, SHLVL, …:
 *   ferry_lendable_variables), which `ferry_return_lent_variable` puts back into the
 *   environment after every library's constructor has run and before `main`: no cost either;
 * - with neither, `ferry` executes itself again with the variable added, before any
 *   library has started (the kernel's and the loader's work: `ferry --version` 45 ms
 *   against 25 ms without the restart).
 * When anything fails, the process goes on with the runtime's defaults rather than not at all. */
static void ferry_enforce_crash_report_settings(int argc, char **argv, char **envp) {
    (void)argc;
    static const char name[] = "SWIFT_BACKTRACE=";
    size_t name_length = sizeof(name) - 1, count = 0;
    char **slot = NULL, **lendable = NULL;
    for (; envp[count] != NULL; count++) {
        if (strncmp(envp[count], name, name_length) == 0) slot = &envp[count];
        else if (lendable == NULL && ferry_is_lendable(envp[count])) lendable = &envp[count];
    }
    const char *current = slot ? *slot + name_length : NULL;
    size_t capacity = name_length + (current ? strlen(current) : 0) + sizeof(FERRY_CRASH_REPORT_SETTINGS) + 1;
    char *assignment = malloc(capacity);
    if (assignment == NULL) return;
    memcpy(assignment, name, name_length);
    if (ferry_crash_report_settings(current, assignment + name_length, capacity - name_length) != 1) {
        free(assignment);
        return;
    }
    if (slot != NULL) {
        *slot = assignment; /* kept for the process's life, as the environment's strings are */
        return;
    }
    if (lendable != NULL) {
        ferry_lent_variable = *lendable;
        *lendable = assignment;
        return;
    }
    char **environment = malloc((count + 2) * sizeof(char *));
    if (environment == NULL) return;
    memcpy(environment, envp, count * sizeof(char *));
    environment[count] = assignment;
    environment[count + 1] = NULL;
    execve("/proc/self/exe", argv, environment);
    free(environment);
    free(assignment);
}

/* The executable's constructors run after those of every library and before `main`, so
 * the lent variable is back before any of ferry's code (or a plugin, or a child process)
 * can look for it. A library constructor that set the same name meanwhile keeps its value. */
__attribute__((constructor)) static void ferry_return_lent_variable(void) {
    if (ferry_lent_variable == NULL) return;
    char *equals = strchr(ferry_lent_variable, '=');
    size_t length = (size_t)(equals - ferry_lent_variable);
    char name[64];
    if (length < sizeof(name)) {
        memcpy(name, ferry_lent_variable, length);
        name[length] = '\0';
        if (getenv(name) != NULL) return;
    }
    putenv(ferry_lent_variable);
}

__attribute__((used, section(".preinit_array"))) static void (*const ferry_preinit[])(int, char **, char **) = {
    ferry_enforce_crash_report_settings,
};
