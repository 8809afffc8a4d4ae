/* The C headers `ferry plugins new --lang c` copies into a new project, embedded
 * in the `ferry` executable at build time so that an installed `ferry` needs no
 * source tree. Both are NUL-terminated. */
#ifndef CFERRY_TEMPLATES_H
#define CFERRY_TEMPLATES_H

/* PluginAPI/CFerryPlugin/include/ferry_plugin.h: the ABI. */
const char *ferry_template_plugin_header(void);
/* PluginAPI/CFerryHelpers/ferry_helpers.h: the optional helpers. */
const char *ferry_template_helpers_header(void);

#endif
