/* The headers a scaffolded C plugin needs, embedded with C23 #embed (clang
 * supports it in C11 mode as an extension) so that they are the very files of
 * this source tree, never a copy that drifts. */
#include "CFerryTemplates.h"

#pragma clang diagnostic ignored "-Wc23-extensions"

static const char plugin_header[] = {
#embed "../../PluginAPI/CFerryPlugin/include/ferry_plugin.h"
    , 0};

static const char helpers_header[] = {
#embed "../../PluginAPI/CFerryHelpers/ferry_helpers.h"
    , 0};

const char *ferry_template_plugin_header(void) { return plugin_header; }
const char *ferry_template_helpers_header(void) { return helpers_header; }
