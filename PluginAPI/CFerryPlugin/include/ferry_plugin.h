/*
 * ferry_plugin.h -- the Ferry connector ABI, major version 1.
 *
 * Every Ferry connector includes this header and nothing else from Ferry. It is
 * the whole contract between the `ferry` host and a plugin shared library: a
 * plugin written in C, Swift, Rust or anything that exports C symbols needs
 * only this file. The host never includes a plugin's headers and a plugin
 * never sees a host type. docs/plugin-abi.md explains the rules with a worked
 * example; the comments here are the reference.
 *
 * Rules that hold for every declaration below:
 *  - Strings are UTF-8 `(ptr, len)` pairs (`ferry_str`), never NUL-terminated,
 *    except the static strings of the descriptor.
 *  - Inputs are borrowed: valid only for the duration of the call that received
 *    them. Copy what you keep.
 *  - Outputs that own memory carry a `release` callback and `private_data`
 *    (as in the Arrow C Data Interface). The receiver calls `release(self)`
 *    exactly once, from any thread; `release == NULL` means "released" or
 *    "empty". Static memory is returned with a release that does nothing.
 *  - Every struct that may grow begins with `struct_size`, set by whoever
 *    allocates the struct: all but the three fixed pairs `ferry_str`,
 *    `ferry_buffer` and `ferry_http_header`, which never change. Structs only
 *    grow at their end; a reader treats a field beyond `struct_size`, or a
 *    zero/NULL field, as absent.
 *  - Functions return a `ferry_status`; on failure they may fill the caller's
 *    `ferry_error`. No call may unwind (C++ exceptions, Swift traps, longjmp)
 *    across the boundary.
 *  - Threading: the host calls one plugin instance from one thread at a time.
 *    `cancel` is the exception: any thread, any time, even during another call.
 *    Different instances may run on different threads concurrently. Every
 *    host service is thread-safe.
 */
#ifndef FERRY_PLUGIN_H
#define FERRY_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- versions */

/* The major version is part of the entry symbol's name (ferry_plugin_v1).
 * The minor version is negotiated: the host passes its minor to `init`, and
 * both sides use the smaller of the two. A minor only adds fields at the end
 * of structs and slots at the end of tables. */
#define FERRY_ABI_MAJOR 1
#define FERRY_ABI_MINOR 2

#if defined(_WIN32)
#define FERRY_EXPORT __declspec(dllexport)
#else
#define FERRY_EXPORT __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------- statuses */

typedef int32_t ferry_status;

#define FERRY_OK                 0  /* success */
#define FERRY_END                1  /* read_next: the stream is exhausted, no batch returned */
#define FERRY_END_COMPLETE       2  /* read_next (ABI 1.1): exhausted, and the source vouches that it
                                       returned everything from the request's starting point to the
                                       stream's end: the API's totals or its cursor said so, a query
                                       ran to its last row. Mirror deletes only after this. */
#define FERRY_ERR_INVALID       -1  /* bad config, request or record; retrying will not help */
#define FERRY_ERR_RETRYABLE     -2  /* transient failure (network, 5xx, lock); safe to retry */
#define FERRY_ERR_RATE_LIMITED  -3  /* rate limit hit; see ferry_error.retry_after_ms */
#define FERRY_ERR_AUTH          -4  /* credentials missing, expired or rejected */
#define FERRY_ERR_CANCELLED     -5  /* the call stopped because cancel was requested */
#define FERRY_ERR_UNSUPPORTED   -6  /* this slot, option or stream is not supported */
#define FERRY_ERR_NOT_FOUND     -7  /* host services: the key does not exist */
#define FERRY_ERR_INTERNAL      -8  /* a bug or an unexpected state; not retried */

/* ------------------------------------------------------------ basic types */

/* A borrowed UTF-8 string: `len` bytes at `ptr`, not NUL-terminated. */
typedef struct ferry_str {
    const char *ptr;
    size_t len;
} ferry_str;

/* An owned byte buffer. The receiver calls release(self) once when done. */
typedef struct ferry_buffer {
    const char *ptr;
    size_t len;
    void (*release)(struct ferry_buffer *self);
    void *private_data;
} ferry_buffer;

/* Error details, allocated (zeroed, struct_size set) by the caller of a
 * function that may fail. The callee fills what it knows; the caller
 * releases `message` and `details` when their release is non-NULL. */
typedef struct ferry_error {
    uint32_t struct_size;
    ferry_status status;     /* the same status the function returned */
    ferry_buffer message;    /* one human-readable line, no secrets */
    ferry_buffer details;    /* optional JSON object with machine-readable context */
    int64_t retry_after_ms;  /* > 0: wait this long before retrying; 0: unknown */
} ferry_error;

/* ------------------------------------------------------------ record batches */

/* A batch of records produced by a source. `records` holds newline-delimited
 * JSON objects, one per line, each line ending in '\n'. `checkpoint` is an
 * opaque JSON value the host stores only after the destination acknowledged
 * this batch; it is handed back in the next read request. Both views stay
 * valid until release(self). */
typedef struct ferry_batch {
    uint32_t struct_size;
    uint32_t record_count;
    ferry_str records;
    ferry_str checkpoint;   /* may be empty: no new position */
    void (*release)(struct ferry_batch *self);
    void *private_data;
} ferry_batch;

/* The outcome of a write. Records not listed in `rejects` were accepted and
 * are durable when `write` returns FERRY_OK.
 *  rejects:     NDJSON lines {"index": N, "error": "..."}  (N: 0-based record index)
 *  id_mappings: NDJSON lines {"index": N, "destination_id": "..."} for ids the
 *               destination assigned; the host stores them with the checkpoint. */
typedef struct ferry_write_result {
    uint32_t struct_size;
    uint32_t accepted_count;
    uint32_t rejected_count;
    ferry_str rejects;
    ferry_str id_mappings;
    void (*release)(struct ferry_write_result *self);
    void *private_data;
} ferry_write_result;

/* The outcome of a transform: the records to pass on (NDJSON, any number,
 * any order) and the rejected inputs (NDJSON {"index": N, "error": "..."}). */
typedef struct ferry_transform_result {
    uint32_t struct_size;
    uint32_t record_count;
    uint32_t rejected_count;
    ferry_str records;
    ferry_str rejects;
    void (*release)(struct ferry_transform_result *self);
    void *private_data;
} ferry_transform_result;

/* ------------------------------------------------------------ host services */

/* Log levels for ferry_host_api.log. */
#define FERRY_LOG_TRACE 0
#define FERRY_LOG_DEBUG 1
#define FERRY_LOG_INFO  2
#define FERRY_LOG_WARN  3
#define FERRY_LOG_ERROR 4

/* Metric kinds for ferry_host_api.metric. */
#define FERRY_METRIC_COUNTER 0  /* add value to a running total */
#define FERRY_METRIC_GAUGE   1  /* set the current value */

/* ferry_http_request.flags */
#define FERRY_HTTP_RETRY_SAFE (1u << 0)  /* a non-idempotent request may be retried */

typedef struct ferry_http_header {
    ferry_str name;
    ferry_str value;
} ferry_http_header;

/* An HTTP request, borrowed for the duration of http_request. The host adds
 * authentication, rate budgets, retries and redaction from the connection's
 * configuration; the plugin says only what to request. */
typedef struct ferry_http_request {
    uint32_t struct_size;
    uint32_t flags;
    ferry_str method;                  /* "GET", "POST", ... */
    ferry_str url;                     /* absolute, or relative to the connection's endpoint */
    const ferry_http_header *headers;  /* header_count entries */
    size_t header_count;
    ferry_str body;
    int64_t timeout_ms;                /* 0: the connection's default */
} ferry_http_request;

/* An HTTP response, filled by the host. `headers` holds "Name: value\n" lines.
 * The caller releases both buffers. */
typedef struct ferry_http_response {
    uint32_t struct_size;
    int32_t status_code;
    ferry_buffer headers;
    ferry_buffer body;
} ferry_http_response;

/* One per plugin instance; identifies the site, pipeline and connection the
 * instance serves. Valid from `open` until `close` returns. */
typedef struct ferry_host_ctx ferry_host_ctx;

/* The table of host routines handed to every plugin instance, in the manner
 * of sqlite3_api_routines. Slots are named after what they do; the table only
 * grows at its end. All slots are thread-safe. */
typedef struct ferry_host_api {
    uint32_t struct_size;
    uint32_t abi_minor;  /* the negotiated minor version */

    /* Structured log line. `message` is one sentence; `fields_json` is an
     * optional JSON object of key/values (may be empty). The host tags it with
     * site, pipeline and plugin and redacts secrets. */
    void (*log)(ferry_host_ctx *ctx, int32_t level, ferry_str message, ferry_str fields_json);

    /* Plugin-scoped key-value state, persisted immediately (not with the next
     * checkpoint): sessions, rotated tokens, discovered metadata. */
    ferry_status (*state_get)(ferry_host_ctx *ctx, ferry_str key, ferry_buffer *out_value, ferry_error *err);
    ferry_status (*state_set)(ferry_host_ctx *ctx, ferry_str key, ferry_str value, ferry_error *err);
    ferry_status (*state_delete)(ferry_host_ctx *ctx, ferry_str key, ferry_error *err);

    /* The ID-mapping store: pairs (scope, source id) -> destination id. Prefer
     * returning mappings in ferry_write_result, which commits them with the
     * batch; id_map_put writes at once. */
    ferry_status (*id_map_get)(ferry_host_ctx *ctx, ferry_str scope, ferry_str source_id,
                               ferry_buffer *out_destination_id, ferry_error *err);
    ferry_status (*id_map_put)(ferry_host_ctx *ctx, ferry_str scope, ferry_str source_id,
                               ferry_str destination_id, ferry_error *err);

    /* A secret named in the connection's configuration. Never log it. */
    ferry_status (*secret_get)(ferry_host_ctx *ctx, ferry_str name, ferry_buffer *out_value, ferry_error *err);

    /* A metric sample; `labels_json` is an optional JSON object. */
    void (*metric)(ferry_host_ctx *ctx, int32_t kind, ferry_str name, double value, ferry_str labels_json);

    /* Non-zero once the run was asked to stop. Long loops should poll it. */
    int32_t (*is_cancelled)(ferry_host_ctx *ctx);

    /* Performs an HTTP request through the host's HTTP service. */
    ferry_status (*http_request)(ferry_host_ctx *ctx, const ferry_http_request *request,
                                 ferry_http_response *out_response, ferry_error *err);

    /* ABI 1.1 and later */
} ferry_host_api;

/* ------------------------------------------------------------ the plugin table */

typedef struct ferry_instance ferry_instance;  /* plugin-owned, opaque to the host */
typedef struct ferry_reader ferry_reader;      /* plugin-owned, opaque to the host */

#define FERRY_CAP_SOURCE      (1u << 0)  /* discover + read_open/read_next/read_close */
#define FERRY_CAP_DESTINATION (1u << 1)  /* write */
#define FERRY_CAP_TRANSFORM   (1u << 2)  /* transform */
/* ABI 1.1: read_next may be called again after it failed with FERRY_ERR_RETRYABLE
 * and then returns the batch it could not return. Without this bit the host closes
 * the reader and reopens it at the last committed checkpoint, so no page is skipped. */
#define FERRY_CAP_REPEATABLE_READ (1u << 3)
/* ABI 1.2: writes whose requests carry one `transaction` id commit together: the
 * destination keeps one transaction open across them and commits it (with the last
 * write's checkpoint) on the write whose `transaction.commit` is true; a write with
 * another id, one without, or `close` first rolls back what an abandoned id left
 * open. Without this bit the host writes each stream in a transaction of its own. */
#define FERRY_CAP_WRITE_TRANSACTION (1u << 4)

/* The plugin's routines. `spec`, `open` and `close` are required; the others
 * are required by the capabilities the descriptor declares, and NULL
 * otherwise. Requests are JSON objects (see docs/plugin-abi.md for their
 * keys) so the same table can one day be served from a child process. */
typedef struct ferry_plugin_api {
    uint32_t struct_size;
    uint32_t abi_minor;  /* the negotiated minor version */

    /* JSON: {"config": <JSON Schema of the config object>, "documentation": "..."} */
    ferry_status (*spec)(ferry_buffer *out_spec_json, ferry_error *err);

    /* Creates an instance for one connection. `host` and `ctx` stay valid
     * until close(instance) returns. */
    ferry_status (*open)(const ferry_host_api *host, ferry_host_ctx *ctx, ferry_str config_json,
                         ferry_instance **out_instance, ferry_error *err);

    /* Optional health check (credentials, reachability). JSON: {"ok": bool, "message": "..."} */
    ferry_status (*check)(ferry_instance *instance, ferry_buffer *out_report_json, ferry_error *err);

    /* Source: JSON {"streams": [{"name", "schema", "primary_key": [...], "cursor_field"}]} */
    ferry_status (*discover)(ferry_instance *instance, ferry_buffer *out_catalog_json, ferry_error *err);

    /* Source: starts reading one stream. request_json keys: stream, checkpoint,
     * full_refresh, since, until, batch_size. */
    ferry_status (*read_open)(ferry_instance *instance, ferry_str request_json,
                              ferry_reader **out_reader, ferry_error *err);
    /* Fills the next batch, or returns FERRY_END. */
    ferry_status (*read_next)(ferry_reader *reader, ferry_batch *out_batch, ferry_error *err);
    void (*read_close)(ferry_reader *reader);

    /* Destination: writes one batch durably before returning. request_json
     * keys: stream, mode ("append" | "upsert" | "delete"), primary_key, schema,
     * batch_id (stable across retries of the same batch), and (ABI 1.1)
     * checkpoint: {"scope": "...", "sequence": N, "value": <JSON>} -- a
     * destination with checkpoint_get stores it in the same transaction as the
     * batch's rows, replacing the scope's earlier one -- and (ABI 1.2, only to a
     * plugin with FERRY_CAP_WRITE_TRANSACTION) transaction: {"id": "...",
     * "commit": bool}: rows of several writes (streams) committed as one. */
    ferry_status (*write)(ferry_instance *instance, ferry_str request_json, ferry_str records,
                          ferry_write_result *out_result, ferry_error *err);

    /* Transform: maps one batch. request_json keys: stream. */
    ferry_status (*transform)(ferry_instance *instance, ferry_str request_json, ferry_str records,
                              ferry_transform_result *out_result, ferry_error *err);

    /* Asks a running call to stop soon (returning FERRY_ERR_CANCELLED). Any thread. */
    void (*cancel)(ferry_instance *instance);

    /* Frees the instance. No call on it or its readers follows. */
    void (*close)(ferry_instance *instance);

    /* ABI 1.1 and later */

    /* Destination, optional: the checkpoint last stored by `write` for a scope.
     * request_json: {"scope": "..."}; out JSON: {"sequence": N, "value": <JSON>}.
     * FERRY_ERR_NOT_FOUND when the scope has none. A destination that fills this
     * slot promises that a write's rows and its request's checkpoint commit
     * together, so the host can take the destination's checkpoint when a crash
     * came between the destination's commit and the host's (exactly-once). */
    ferry_status (*checkpoint_get)(ferry_instance *instance, ferry_str request_json,
                                   ferry_buffer *out_json, ferry_error *err);
} ferry_plugin_api;

/* ------------------------------------------------------------ the entry point */

/* Static facts about the plugin, read by the host before anything else. The
 * strings are NUL-terminated and static (the library is never unloaded). */
typedef struct ferry_plugin_descriptor {
    uint32_t struct_size;
    uint32_t abi_major;       /* FERRY_ABI_MAJOR the plugin was built against */
    uint32_t abi_minor;       /* the highest minor the plugin implements */
    uint32_t capabilities;    /* FERRY_CAP_* bits */
    const char *name;         /* unique plugin name: lowercase, [a-z0-9_-] */
    const char *version;      /* the plugin's own version, e.g. "1.2.0" */
    const char *runtime;      /* "c", or "swift-6.3.1": Swift plugins share the host's runtime */
    const char *description;  /* one line */

    /* Negotiates the minor version and returns the plugin table, which must
     * stay valid for the life of the process. Called once, after the host
     * checked this descriptor. */
    ferry_status (*init)(uint32_t host_minor, const ferry_plugin_api **out_api, ferry_error *err);
} ferry_plugin_descriptor;

/* The one exported symbol. Must have no side effects: the host calls it to
 * list plugins it may never run. */
#define FERRY_PLUGIN_ENTRY_SYMBOL "ferry_plugin_v1"
typedef const ferry_plugin_descriptor *(*ferry_plugin_entry_fn)(void);
#if !defined(__swift__)  /* Swift plugins define it with @c through the SDK */
FERRY_EXPORT const ferry_plugin_descriptor *ferry_plugin_v1(void);
#endif

#ifdef __cplusplus
}
#endif

#endif /* FERRY_PLUGIN_H */
