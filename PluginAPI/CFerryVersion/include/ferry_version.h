/* Ferry's release version: the one place it is written.
 *
 * The host (`ferry --version`) and every first-party plugin, Swift or C, read it
 * from here (Swift through the FerryBuild module), so a release changes one line.
 * Third-party plugins keep versions of their own: this header is not part of the
 * plugin ABI (ferry_plugin.h), and nothing in the ABI depends on it. */
#ifndef FERRY_VERSION_H
#define FERRY_VERSION_H

#define FERRY_VERSION "0.1.0"

#endif /* FERRY_VERSION_H */
