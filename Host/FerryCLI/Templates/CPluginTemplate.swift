import CFerryTemplates

/// The files of a new C connector project (`ferry plugins new NAME --lang c`): a
/// Makefile, the plugin in one C file built on cJSON and the optional helper header,
/// a test program that loads the built library through the ABI, and a README.
enum CPluginTemplate {
    /// The project's files, relative path → content.
    ///
    /// - Parameter names: the plugin's name in its spellings.
    /// - Parameter kind: what the plugin does.
    static func files(_ names: PluginNames, kind: PluginKind) -> [(path: String, content: String)] {
        [
            ("Makefile", names.fill(makefile)),
            ("\(names.name).c", names.fill(common + body(kind) + entry(kind))),
            ("test/test.c", names.fill(testCommon + test(kind))),
            ("include/ferry_plugin.h", String(cString: ferry_template_plugin_header())),
            ("include/ferry_helpers.h", String(cString: ferry_template_helpers_header())),
            ("README.md", names.fill(readme(kind))),
            (".gitignore", "*.so\n*.o\ntest/run-tests\n"),
        ]
    }

    static let makefile = """
        # Builds libferry-__NAME__.so, a Ferry connector, and runs its test.
        # Needs a C compiler and cJSON (Debian: apt-get install libcjson-dev).
        NAME := __NAME__
        CFLAGS ?= -O2 -g
        CFLAGS += -std=c11 -Wall -Wextra -Werror -fPIC -fvisibility=hidden -Iinclude
        LDLIBS += -lcjson

        all: libferry-$(NAME).so

        libferry-$(NAME).so: $(NAME).c include/ferry_plugin.h include/ferry_helpers.h
        \t$(CC) $(CFLAGS) -shared -o $@ $(NAME).c $(LDLIBS)

        test/run-tests: test/test.c include/ferry_plugin.h
        \t$(CC) $(CFLAGS) -o $@ test/test.c $(LDLIBS) -ldl

        test: libferry-$(NAME).so test/run-tests
        \t./test/run-tests ./libferry-$(NAME).so

        clean:
        \trm -f libferry-$(NAME).so test/run-tests

        .PHONY: all test clean

        """

    /// The part every kind shares: instance, config, spec, open, check, cancel, close.
    static let common = """
        /*
         * __NAME__: a Ferry connector in C, made by `ferry plugins new`.
         * JSON is read and written with cJSON; ferry_helpers.h builds NDJSON batches,
         * owned buffers and errors. The contract: docs/plugin-abi.md in Ferry.
         */
        #include <cjson/cJSON.h>
        #include <stdatomic.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>

        #include "ferry_plugin.h"
        #include "ferry_helpers.h"

        /* One connection. */
        typedef struct ferry_instance {
            const ferry_host_api *host;
            ferry_host_ctx *ctx;
            cJSON *config;          /* the connection's config object */
            atomic_int cancelled;   /* set by cancel(), from any thread */
        } plugin_instance;

        static int is_cancelled(plugin_instance *self) {
            return atomic_load(&self->cancelled) || (self->host->is_cancelled && self->host->is_cancelled(self->ctx));
        }

        static void log_info(plugin_instance *self, const char *message) {
            if (self->host->log)
                self->host->log(self->ctx, FERRY_LOG_INFO, (ferry_str){message, strlen(message)}, (ferry_str){0});
        }

        static ferry_status validate_config(const cJSON *config, ferry_error *err);  /* below, per role */

        static ferry_status plugin_open(const ferry_host_api *host, ferry_host_ctx *ctx, ferry_str config_json,
                                        ferry_instance **out, ferry_error *err) {
            cJSON *config = ferry_cjson_parse(config_json);
            if (!cJSON_IsObject(config)) {
                cJSON_Delete(config);
                return ferry_fail(err, FERRY_ERR_INVALID, "__NAME__ config must be a JSON object");
            }
            ferry_status valid = validate_config(config, err);
            if (valid != FERRY_OK) {
                cJSON_Delete(config);
                return valid;
            }
            plugin_instance *self = calloc(1, sizeof *self);
            if (!self) {
                cJSON_Delete(config);
                return ferry_fail(err, FERRY_ERR_INTERNAL, "out of memory");
            }
            self->host = host;
            self->ctx = ctx;
            self->config = config;
            log_info(self, "Opened __NAME__.");
            *out = self;
            return FERRY_OK;
        }

        static ferry_status plugin_check(ferry_instance *self, ferry_buffer *out, ferry_error *err) {
            (void)self; (void)err;
            return ferry_buffer_from_string(out, "{\\"ok\\":true,\\"message\\":\\"__NAME__ is ready.\\"}");
        }

        static void plugin_cancel(ferry_instance *self) { atomic_store(&self->cancelled, 1); }

        static void plugin_close(ferry_instance *self) {
            cJSON_Delete(self->config);
            free(self);
        }

        /* An integer config key, or `fallback` when absent. */
        static inline long long config_int(const cJSON *config, const char *key, long long fallback) {
            const cJSON *value = cJSON_GetObjectItemCaseSensitive(config, key);
            return cJSON_IsNumber(value) ? (long long)value->valuedouble : fallback;
        }

        /* A string config key, or `fallback` when absent. */
        static inline const char *config_string(const cJSON *config, const char *key, const char *fallback) {
            const cJSON *value = cJSON_GetObjectItemCaseSensitive(config, key);
            return cJSON_IsString(value) ? value->valuestring : fallback;
        }

        """

    static func body(_ kind: PluginKind) -> String {
        switch kind {
        case .source: return sourceBody
        case .destination: return destinationBody
        case .transform: return transformBody
        }
    }

    static let sourceBody = """
        /* ------------------------------------------------------------ source */

        /* Replace this with your API: stream "items", records {"id": N, "name": "item N"}
         * for N in (checkpoint.last_id, count], checkpoint {"last_id": N}. */

        typedef struct ferry_reader {
            plugin_instance *instance;
            long long next_id, last_id, batch_size;
            ferry_ndjson lines;
        } plugin_reader;

        static ferry_status plugin_discover(ferry_instance *self, ferry_buffer *out, ferry_error *err) {
            (void)self; (void)err;
            return ferry_buffer_from_string(out,
                "{\\"streams\\":[{\\"name\\":\\"items\\",\\"primary_key\\":[\\"id\\"],\\"schema\\":{\\"type\\":\\"object\\","
                "\\"properties\\":{\\"id\\":{\\"type\\":\\"integer\\"},\\"name\\":{\\"type\\":\\"string\\"}}}}]}");
        }

        static ferry_status plugin_read_open(ferry_instance *self, ferry_str request_json, ferry_reader **out,
                                             ferry_error *err) {
            cJSON *request = ferry_cjson_parse(request_json);
            const cJSON *stream = cJSON_GetObjectItemCaseSensitive(request, "stream");
            if (!cJSON_IsString(stream) || strcmp(stream->valuestring, "items") != 0) {
                cJSON_Delete(request);
                return ferry_fail(err, FERRY_ERR_INVALID, "unknown stream; __NAME__ has 'items'");
            }
            /* The checkpoint is what an earlier batch returned, handed back once that batch was written. */
            long long after = 0;
            const cJSON *full = cJSON_GetObjectItemCaseSensitive(request, "full_refresh");
            const cJSON *checkpoint = cJSON_GetObjectItemCaseSensitive(request, "checkpoint");
            if (!cJSON_IsTrue(full) && cJSON_IsObject(checkpoint)) after = config_int(checkpoint, "last_id", 0);
            long long batch_size = config_int(request, "batch_size", 1000);
            cJSON_Delete(request);

            plugin_reader *reader = calloc(1, sizeof *reader);
            if (!reader) return ferry_fail(err, FERRY_ERR_INTERNAL, "out of memory");
            reader->instance = self;
            reader->next_id = after + 1;
            reader->last_id = config_int(self->config, "count", 10);
            reader->batch_size = batch_size > 0 ? batch_size : 1000;
            *out = reader;
            return FERRY_OK;
        }

        static ferry_status plugin_read_next(ferry_reader *reader, ferry_batch *out, ferry_error *err) {
            if (is_cancelled(reader->instance)) return ferry_fail(err, FERRY_ERR_CANCELLED, "cancelled");
            /* FERRY_END_COMPLETE: everything to the stream's end was returned (a mirror may delete the rest). */
            if (reader->next_id > reader->last_id) return FERRY_END_COMPLETE;
            long long end = reader->next_id + reader->batch_size - 1;
            if (end > reader->last_id) end = reader->last_id;
            for (long long id = reader->next_id; id <= end; id++) {
                cJSON *record = cJSON_CreateObject();
                char name[48];
                snprintf(name, sizeof name, "item %lld", id);
                cJSON_AddNumberToObject(record, "id", (double)id);
                cJSON_AddStringToObject(record, "name", name);
                int appended = ferry_ndjson_append_cjson(&reader->lines, record);
                cJSON_Delete(record);
                if (!appended) return ferry_fail(err, FERRY_ERR_INTERNAL, "out of memory");
            }
            char checkpoint[48];
            snprintf(checkpoint, sizeof checkpoint, "{\\"last_id\\":%lld}", end);
            ferry_status status = ferry_batch_take(out, &reader->lines, checkpoint, err);
            /* Move only once the batch is handed over: a failed call returns the same records next time. */
            if (status == FERRY_OK) reader->next_id = end + 1;
            return status;
        }

        static void plugin_read_close(ferry_reader *reader) {
            ferry_ndjson_free(&reader->lines);
            free(reader);
        }

        static ferry_status validate_config(const cJSON *config, ferry_error *err) {
            const cJSON *count = cJSON_GetObjectItemCaseSensitive(config, "count");
            if (count && (!cJSON_IsNumber(count) || count->valuedouble < 0))
                return ferry_fail(err, FERRY_ERR_INVALID, "__NAME__ config: count must be a non-negative integer");
            return FERRY_OK;
        }

        #define SPEC_JSON \\
            "{\\"config\\":{\\"type\\":\\"object\\",\\"additionalProperties\\":false,\\"properties\\":{" \\
            "\\"count\\":{\\"type\\":\\"integer\\",\\"minimum\\":0,\\"description\\":\\"How many items the source has.\\"}}}," \\
            "\\"documentation\\":\\"__NAME__: a source made by ferry plugins new.\\"}"

        """

    static let destinationBody = """
        /* ------------------------------------------------------- destination */

        /* Replace this with your system: every record is appended, as one JSON line,
         * to the file `path`, flushed to disk before write returns (durable). A line
         * that is not a JSON object is rejected by index. */

        static ferry_status plugin_write(ferry_instance *self, ferry_str request_json, ferry_str records,
                                         ferry_write_result *out, ferry_error *err) {
            (void)request_json;  /* stream, mode, primary_key, batch_id: see docs/plugin-abi.md */
            if (is_cancelled(self)) return ferry_fail(err, FERRY_ERR_CANCELLED, "cancelled");
            const char *path = config_string(self->config, "path", NULL);
            FILE *file = fopen(path, "a");
            if (!file) return ferry_fail(err, FERRY_ERR_RETRYABLE, "cannot open the output file");
            ferry_ndjson rejects = {0};
            uint32_t index = 0, accepted = 0;
            ferry_str rest = records, line;
            while (ferry_ndjson_next(&rest, &line)) {
                cJSON *record = ferry_cjson_parse(line);
                if (cJSON_IsObject(record)) {
                    fwrite(line.ptr, 1, line.len, file);
                    fputc('\\n', file);
                    accepted++;
                } else {
                    ferry_reject(&rejects, index, "not a JSON object");
                }
                cJSON_Delete(record);
                index++;
            }
            int failed = fflush(file) != 0;
            failed |= fclose(file) != 0;
            if (failed) {
                ferry_ndjson_free(&rejects);
                return ferry_fail(err, FERRY_ERR_RETRYABLE, "cannot write the output file");
            }
            return ferry_write_result_take(out, accepted, &rejects, NULL, err);
        }

        static ferry_status validate_config(const cJSON *config, ferry_error *err) {
            const cJSON *path = cJSON_GetObjectItemCaseSensitive(config, "path");
            if (!cJSON_IsString(path) || path->valuestring[0] == '\\0')
                return ferry_fail(err, FERRY_ERR_INVALID, "__NAME__ config: path (a file name) is required");
            return FERRY_OK;
        }

        #define SPEC_JSON \\
            "{\\"config\\":{\\"type\\":\\"object\\",\\"additionalProperties\\":false,\\"required\\":[\\"path\\"],\\"properties\\":{" \\
            "\\"path\\":{\\"type\\":\\"string\\",\\"description\\":\\"The file the records are appended to.\\"}}}," \\
            "\\"documentation\\":\\"__NAME__: a destination made by ferry plugins new.\\"}"

        """

    static let transformBody = """
        /* --------------------------------------------------------- transform */

        /* Replace this with your mapping: every record gets the field `field` (default
         * "source") set to `value` (default "__NAME__"); a line that is not a JSON
         * object is rejected by index. */

        static ferry_status plugin_transform(ferry_instance *self, ferry_str request_json, ferry_str records,
                                             ferry_transform_result *out, ferry_error *err) {
            (void)request_json;
            if (is_cancelled(self)) return ferry_fail(err, FERRY_ERR_CANCELLED, "cancelled");
            const char *field = config_string(self->config, "field", "source");
            const char *value = config_string(self->config, "value", "__NAME__");
            ferry_ndjson output = {0}, rejects = {0};
            uint32_t index = 0;
            ferry_str rest = records, line;
            while (ferry_ndjson_next(&rest, &line)) {
                cJSON *record = ferry_cjson_parse(line);
                if (cJSON_IsObject(record)) {
                    cJSON_DeleteItemFromObjectCaseSensitive(record, field);
                    cJSON_AddStringToObject(record, field, value);
                    ferry_ndjson_append_cjson(&output, record);
                } else {
                    ferry_reject(&rejects, index, "not a JSON object");
                }
                cJSON_Delete(record);
                index++;
            }
            return ferry_transform_result_take(out, &output, &rejects, err);
        }

        static ferry_status validate_config(const cJSON *config, ferry_error *err) {
            const char *keys[] = {"field", "value"};
            for (size_t i = 0; i < 2; i++) {
                const cJSON *item = cJSON_GetObjectItemCaseSensitive(config, keys[i]);
                if (item && !cJSON_IsString(item))
                    return ferry_fail(err, FERRY_ERR_INVALID, "__NAME__ config: %s must be a string", keys[i]);
            }
            return FERRY_OK;
        }

        #define SPEC_JSON \\
            "{\\"config\\":{\\"type\\":\\"object\\",\\"additionalProperties\\":false,\\"properties\\":{" \\
            "\\"field\\":{\\"type\\":\\"string\\",\\"description\\":\\"The field to set.\\"}," \\
            "\\"value\\":{\\"type\\":\\"string\\",\\"description\\":\\"The value to set it to.\\"}}}," \\
            "\\"documentation\\":\\"__NAME__: a transform made by ferry plugins new.\\"}"

        """

    static func entry(_ kind: PluginKind) -> String {
        let slots: [String]
        switch kind {
        case .source:
            slots = [
                ".discover = plugin_discover,", ".read_open = plugin_read_open,", ".read_next = plugin_read_next,",
                ".read_close = plugin_read_close,",
            ]
        case .destination: slots = [".write = plugin_write,"]
        case .transform: slots = [".transform = plugin_transform,"]
        }
        return """
            /* --------------------------------------------------------- the entry */

            static ferry_status plugin_spec(ferry_buffer *out, ferry_error *err) {
                (void)err;
                return ferry_buffer_from_string(out, SPEC_JSON);
            }

            static const ferry_plugin_api plugin_api = {
                .struct_size = sizeof(ferry_plugin_api),
                .abi_minor = FERRY_ABI_MINOR,
                .spec = plugin_spec,
                .open = plugin_open,
                .check = plugin_check,
                \(slots.joined(separator: "\n    "))
                .cancel = plugin_cancel,
                .close = plugin_close,
            };

            static ferry_status plugin_init(uint32_t host_minor, const ferry_plugin_api **out, ferry_error *err) {
                (void)host_minor; (void)err;  /* this plugin needs nothing newer than ABI 1.0 from the host */
                *out = &plugin_api;
                return FERRY_OK;
            }

            static const ferry_plugin_descriptor descriptor = {
                .struct_size = sizeof(ferry_plugin_descriptor),
                .abi_major = FERRY_ABI_MAJOR,
                .abi_minor = FERRY_ABI_MINOR,
                .capabilities = \(kind.capabilityMacro),
                .name = "__NAME__",
                .version = "0.1.0",
                .runtime = "c",
                .description = "__NAME__: a \(kind.rawValue) made by ferry plugins new.",
                .init = plugin_init,
            };

            /* The one exported symbol: static facts, no side effects. */
            FERRY_EXPORT const ferry_plugin_descriptor *ferry_plugin_v1(void) { return &descriptor; }

            """
    }
}
