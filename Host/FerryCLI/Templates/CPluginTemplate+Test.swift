extension CPluginTemplate {
    /// The test program: loads the built library with `dlopen`, as `ferry` does, and
    /// drives its slots with a minimal host table. `make test` runs it.
    static let testCommon = """
        /* Loads libferry-__NAME__.so through the ABI, as ferry does, and checks it.
         * `make test` runs it; `ferry plugins test ./libferry-__NAME__.so` runs the full
         * conformance kit. */
        #define _POSIX_C_SOURCE 200809L  /* mkstemp */
        #include <cjson/cJSON.h>
        #include <dlfcn.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>

        #include "ferry_plugin.h"

        static int failures = 0;
        #define EXPECT(condition) \\
            do { if (!(condition)) { fprintf(stderr, "%s:%d: failed: %s\\n", __FILE__, __LINE__, #condition); failures++; } } while (0)

        static void host_log(ferry_host_ctx *ctx, int32_t level, ferry_str message, ferry_str fields) {
            (void)ctx; (void)level; (void)fields;
            fprintf(stderr, "log: %.*s\\n", (int)message.len, message.ptr);
        }
        static int32_t host_is_cancelled(ferry_host_ctx *ctx) { (void)ctx; return 0; }

        static ferry_str str(const char *text) { return (ferry_str){text, strlen(text)}; }

        /* Whether `text` (not NUL-terminated) contains `part`. */
        static inline int contains(ferry_str text, const char *part) {
            size_t length = strlen(part);
            for (size_t i = 0; i + length <= text.len; i++)
                if (memcmp(text.ptr + i, part, length) == 0) return 1;
            return 0;
        }

        static const ferry_plugin_api *load(const char *path) {
            void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
            if (!library) { fprintf(stderr, "dlopen: %s\\n", dlerror()); exit(2); }
            ferry_plugin_entry_fn entry = (ferry_plugin_entry_fn)dlsym(library, FERRY_PLUGIN_ENTRY_SYMBOL);
            if (!entry) { fprintf(stderr, "no %s in %s\\n", FERRY_PLUGIN_ENTRY_SYMBOL, path); exit(2); }
            const ferry_plugin_descriptor *descriptor = entry();
            EXPECT(strcmp(descriptor->name, "__NAME__") == 0);
            const ferry_plugin_api *api = NULL;
            ferry_error error = {.struct_size = sizeof error};
            EXPECT(descriptor->init(FERRY_ABI_MINOR, &api, &error) == FERRY_OK);
            ferry_buffer spec = {0};
            EXPECT(api->spec(&spec, &error) == FERRY_OK);
            cJSON *parsed = cJSON_ParseWithLength(spec.ptr, spec.len);
            EXPECT(cJSON_IsObject(cJSON_GetObjectItem(parsed, "config")));
            cJSON_Delete(parsed);
            spec.release(&spec);
            return api;
        }

        static ferry_instance *open_with(const ferry_plugin_api *api, const ferry_host_api *host, const char *config) {
            ferry_instance *instance = NULL;
            ferry_error error = {.struct_size = sizeof error};
            ferry_status status = api->open(host, NULL, str(config), &instance, &error);
            if (status != FERRY_OK) {
                fprintf(stderr, "open failed: %.*s\\n", (int)error.message.len, error.message.ptr ? error.message.ptr : "");
                if (error.message.release) error.message.release(&error.message);
            }
            return instance;
        }

        """

    static func test(_ kind: PluginKind) -> String {
        let body: String
        switch kind {
        case .source:
            body = """
                    ferry_instance *instance = open_with(api, &host, "{\\"count\\": 25}");
                    EXPECT(instance != NULL);
                    if (!instance) return 1;
                    ferry_reader *reader = NULL;
                    ferry_error error = {.struct_size = sizeof error};
                    EXPECT(api->read_open(instance, str("{\\"stream\\":\\"items\\",\\"batch_size\\":10}"), &reader, &error) == FERRY_OK);
                    int batches = 0, records = 0;
                    char checkpoint[64] = "";
                    for (;;) {
                        ferry_batch batch = {0};
                        ferry_status status = api->read_next(reader, &batch, &error);
                        if (status == FERRY_END || status == FERRY_END_COMPLETE) break;
                        EXPECT(status == FERRY_OK);
                        if (status != FERRY_OK) break;
                        batches++;
                        records += (int)batch.record_count;
                        EXPECT(batch.records.len > 0 && batch.records.ptr[batch.records.len - 1] == '\\n');
                        snprintf(checkpoint, sizeof checkpoint, "%.*s", (int)batch.checkpoint.len, batch.checkpoint.ptr);
                        batch.release(&batch);
                    }
                    api->read_close(reader);
                    EXPECT(batches == 3);
                    EXPECT(records == 25);
                    EXPECT(strcmp(checkpoint, "{\\"last_id\\":25}") == 0);
                    api->close(instance);
                """
        case .destination:
            body = """
                    char path[] = "/tmp/ferry-__NAME__-test-XXXXXX";
                    int descriptor = mkstemp(path);
                    EXPECT(descriptor >= 0);
                    char config[128];
                    snprintf(config, sizeof config, "{\\"path\\": \\"%s\\"}", path);
                    ferry_instance *instance = open_with(api, &host, config);
                    EXPECT(instance != NULL);
                    if (!instance) return 1;
                    ferry_write_result result = {0};
                    ferry_error error = {.struct_size = sizeof error};
                    const char *records = "{\\"id\\":1}\\n[2]\\n{\\"id\\":3}\\n";
                    EXPECT(api->write(instance, str("{\\"stream\\":\\"items\\",\\"mode\\":\\"append\\",\\"batch_id\\":\\"b1\\"}"),
                                      str(records), &result, &error) == FERRY_OK);
                    EXPECT(result.accepted_count == 2);
                    EXPECT(result.rejected_count == 1);
                    EXPECT(strncmp(result.rejects.ptr, "{\\"index\\":1,", 11) == 0);
                    result.release(&result);
                    char written[64] = "";
                    FILE *file = fopen(path, "r");
                    size_t length = file ? fread(written, 1, sizeof written - 1, file) : 0;
                    written[length] = '\\0';
                    if (file) fclose(file);
                    EXPECT(strcmp(written, "{\\"id\\":1}\\n{\\"id\\":3}\\n") == 0);
                    remove(path);
                    api->close(instance);
                """
        case .transform:
            body = """
                    ferry_instance *instance = open_with(api, &host, "{\\"field\\": \\"origin\\", \\"value\\": \\"crm\\"}");
                    EXPECT(instance != NULL);
                    if (!instance) return 1;
                    ferry_transform_result result = {0};
                    ferry_error error = {.struct_size = sizeof error};
                    EXPECT(api->transform(instance, str("{\\"stream\\":\\"items\\"}"), str("{\\"id\\":1}\\n\\"x\\"\\n"), &result,
                                          &error) == FERRY_OK);
                    EXPECT(result.record_count == 1);
                    EXPECT(result.rejected_count == 1);
                    EXPECT(contains(result.records, "\\"origin\\":\\"crm\\""));
                    result.release(&result);
                    api->close(instance);
                """
        }
        return """
            int main(int argc, char **argv) {
                if (argc != 2) { fprintf(stderr, "usage: %s PATH.so\\n", argv[0]); return 2; }
                const ferry_plugin_api *api = load(argv[1]);
                ferry_host_api host = {.struct_size = sizeof host, .abi_minor = FERRY_ABI_MINOR,
                                       .log = host_log, .is_cancelled = host_is_cancelled};
            \(body)
                if (failures == 0) printf("ok: __NAME__ passed\\n");
                return failures == 0 ? 0 : 1;
            }

            """
    }

    static func readme(_ kind: PluginKind) -> String {
        """
        # __NAME__

        A Ferry \(kind.rawValue) connector in C, made by `ferry plugins new __NAME__ --lang c --kind \(kind.rawValue)`.

        ```sh
        make          # builds libferry-__NAME__.so (needs cc and cJSON: apt-get install libcjson-dev)
        make test     # loads it through the ABI and checks it (test/test.c)
        ferry plugins test ./libferry-__NAME__.so    # Ferry's conformance kit
        ```

        Run it: put the library in a folder Ferry searches (`plugins/` beside your `ferry.yaml`, a
        folder in `plugin_paths`, or `FERRY_PLUGIN_PATH`), then name it in a connection:

        ```yaml
        connections:
          mine: { plugin: __NAME__, config: \(kind.exampleConfig) }
        ```

        and `FERRY_PLUGIN_PATH=$PWD ferry run --config ferry.yaml`.

        | file | what it is |
        |---|---|
        | `__NAME__.c` | the plugin: config, the \(kind.rawValue) role, the plugin table and the one exported symbol |
        | `include/ferry_plugin.h` | the ABI (Ferry's header, copied): the whole contract |
        | `include/ferry_helpers.h` | optional helpers (NDJSON batches, checkpoints, errors), not part of the ABI |
        | `test/test.c` | the test `make test` runs |

        JSON is parsed and printed with [cJSON](https://github.com/DaveGamble/cJSON) (Debian's
        `libcjson-dev`). The rules (ownership, threading, checkpoints, errors) are in Ferry's
        `docs/plugin-abi.md`.

        """
    }
}
