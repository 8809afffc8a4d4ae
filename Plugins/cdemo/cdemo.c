#include <ferry_plugin.h>
