/*
 * cdemo.c -- the C reference connector for the Ferry plugin ABI (major 1).
 *
 * Plain C11 against <ferry_plugin.h> alone (and <ferry_version.h>, for the
 * release number every first-party plugin reports). It exercises every slot of the
 * plugin table and every ownership rule, so it is the example that
 * docs/plugin-abi.md walks through and the fixture the loader tests compile
 * with `cc`:
 *  - source "numbers": {"id":N,"value":2N,"label":"nN","updated_at":N} for N in
 *    (checkpoint.last_id, count]; checkpoint {"last_id":N};
 *  - destination: accepts every record except those with "reject":true, and
 *    assigns the id "c-<index>" to records with "want_id":true;
 *  - transform: passes records through, dropping those with "drop":true;
 *  - host services: one log line at open, a "runs" counter in plugin state.
 *
 * Build: cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden \
 *           -I PluginAPI/CFerryPlugin/include -I PluginAPI/CFerryVersion/include \
 *           -o libferry-cdemo.so cdemo.c
 *
 * Layout: the descriptor's facts, helpers, the slots, then the entry point.
 * JSON is read with a tiny key scanner that is enough for the flat objects
 * Ferry sends (it finds `"key":` anywhere in the text); a real connector
 * should use a real parser.
 */
#include <ferry_plugin.h>
#include <ferry_version.h>

#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CDEMO_NAME "cdemo"
/* A third-party connector would write its own version here. */
#define CDEMO_VERSION FERRY_VERSION
#define CDEMO_STREAM "numbers"
#define CDEMO_DEFAULT_COUNT 1000
#define CDEMO_DEFAULT_BATCH 1000
#define CDEMO_MAX_BATCH 1000000
/* The longest record: four 20-digit numbers plus the fixed text. */
#define CDEMO_MAX_RECORD 160

/* ------------------------------------------------------------ instances */

typedef struct cdemo_instance {
    const ferry_host_api *host;  /* borrowed until close */
    ferry_host_ctx *ctx;         /* borrowed until close */
    int64_t count;
    int64_t batch_size;
    atomic_int cancelled;        /* set by cancel from any thread */
} cdemo_instance;

/* One reusable output buffer, shared by the reader and the batches it lent
 * out. `refs` counts the owners: the reader while it uses the chunk, plus one
 * per unreleased batch. Whoever drops the last reference frees it, so a batch
 * stays valid after read_close and may be released from any thread. */
typedef struct cdemo_chunk {
    atomic_int refs;
    char *data;
    size_t cap;
    char checkpoint[48];
} cdemo_chunk;

typedef struct cdemo_reader {
    cdemo_instance *instance;
    int64_t next_id;     /* the next id to emit */
    int64_t last_id;     /* the last id to emit (the configured count) */
    int64_t batch_size;
    cdemo_chunk *chunk;  /* reused while no batch still holds it */
} cdemo_reader;

/* ------------------------------------------------------------ helpers: memory */

static void buffer_release(ferry_buffer *self) {
    free(self->private_data);
    self->ptr = NULL;
    self->len = 0;
    self->private_data = NULL;
    self->release = NULL;
}

/* Fills `out` with an owned copy of `len` bytes at `text`. */
static int buffer_copy(ferry_buffer *out, const char *text, size_t len) {
    char *copy = malloc(len ? len : 1);
    if (copy == NULL) return 0;
    memcpy(copy, text, len);
    out->ptr = copy;
    out->len = len;
    out->private_data = copy;
    out->release = buffer_release;
    return 1;
}

/* Fills the caller's error (if any) and returns `status`. The error struct
 * may be older than ours: only fields inside its struct_size are written. */
static ferry_status fail(ferry_error *err, ferry_status status, const char *format, ...) {
    if (err == NULL || err->struct_size < offsetof(ferry_error, status) + sizeof(err->status)) {
        return status;
    }
    err->status = status;
    if (err->struct_size >= offsetof(ferry_error, message) + sizeof(err->message)) {
        char line[256];
        va_list args;
        va_start(args, format);
        int n = vsnprintf(line, sizeof line, format, args);
        va_end(args);
        if (n < 0) n = 0;
        if ((size_t)n >= sizeof line) n = (int)sizeof line - 1;
        buffer_copy(&err->message, line, (size_t)n);
    }
    return status;
}

/* ------------------------------------------------------------ helpers: text */

/* Writes `value` in decimal at `out` and returns the number of bytes. */
static size_t format_u64(char *out, uint64_t value) {
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    for (size_t i = 0; i < n; i++) out[i] = digits[n - 1 - i];
    return n;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The value after `"key":` in `json`, or NULL. Skips whitespace around ':'. */
static const char *find_key(const char *json, size_t len, const char *key, const char **end) {
    size_t key_len = strlen(key);
    const char *stop = json + len;
    *end = stop;
    for (const char *p = json; p + key_len + 2 <= stop; p++) {
        if (p[0] != '"' || memcmp(p + 1, key, key_len) != 0 || p[key_len + 1] != '"') continue;
        const char *q = p + key_len + 2;
        while (q < stop && is_space(*q)) q++;
        if (q >= stop || *q != ':') continue;
        q++;
        while (q < stop && is_space(*q)) q++;
        return q < stop ? q : NULL;
    }
    return NULL;
}

enum { SCAN_ABSENT = 0, SCAN_OK = 1, SCAN_INVALID = -1 };

/* Reads the non-negative integer of `"key":`. Absent or null: SCAN_ABSENT. */
static int scan_int(const char *json, size_t len, const char *key, int64_t *out) {
    const char *end;
    const char *p = find_key(json, len, key, &end);
    if (p == NULL) return SCAN_ABSENT;
    if (end - p >= 4 && memcmp(p, "null", 4) == 0) return SCAN_ABSENT;
    int64_t value = 0;
    const char *start = p;
    while (p < end && *p >= '0' && *p <= '9') {
        if (value > (INT64_MAX - 9) / 10) return SCAN_INVALID;
        value = value * 10 + (*p - '0');
        p++;
    }
    if (p == start) return SCAN_INVALID;
    if (p < end && !(is_space(*p) || *p == ',' || *p == '}')) return SCAN_INVALID;
    *out = value;
    return SCAN_OK;
}

/* Reads the string value of `"key":` (no escapes). */
static int scan_string(const char *json, size_t len, const char *key, ferry_str *out) {
    const char *end;
    const char *p = find_key(json, len, key, &end);
    if (p == NULL) return SCAN_ABSENT;
    if (end - p >= 4 && memcmp(p, "null", 4) == 0) return SCAN_ABSENT;
    if (*p != '"') return SCAN_INVALID;
    const char *close = memchr(p + 1, '"', (size_t)(end - p - 1));
    if (close == NULL) return SCAN_INVALID;
    out->ptr = p + 1;
    out->len = (size_t)(close - p - 1);
    return SCAN_OK;
}

/* True when `"key":true` occurs in the line. */
static int has_flag(const char *line, size_t len, const char *key) {
    const char *end;
    const char *p = find_key(line, len, key, &end);
    return p != NULL && end - p >= 4 && memcmp(p, "true", 4) == 0;
}

static int str_equals(ferry_str s, const char *literal) {
    size_t n = strlen(literal);
    return s.len == n && memcmp(s.ptr, literal, n) == 0;
}

/* A growable output for write and transform results. */
typedef struct text {
    char *data;
    size_t len, cap;
} text;

static int text_append(text *t, const char *bytes, size_t n) {
    if (t->len + n > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        while (cap < t->len + n) cap *= 2;
        char *grown = realloc(t->data, cap);
        if (grown == NULL) return 0;
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, bytes, n);
    t->len += n;
    return 1;
}

static int text_append_str(text *t, const char *s) { return text_append(t, s, strlen(s)); }

static int text_append_u64(text *t, uint64_t value) {
    char digits[20];
    return text_append(t, digits, format_u64(digits, value));
}

/* ------------------------------------------------------------ slots: spec, open, check */

static const char spec_json[] =
    "{\"config\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
    "\"count\":{\"type\":\"integer\",\"minimum\":0,\"default\":1000,"
    "\"description\":\"How many records the numbers stream holds.\"},"
    "\"batch_size\":{\"type\":\"integer\",\"minimum\":1,\"default\":1000,"
    "\"description\":\"Records per batch unless the read request says otherwise.\"}}},"
    "\"documentation\":\"The C reference connector: a numbers source, a counting "
    "destination and a dropping transform.\"}";

static ferry_status cdemo_spec(ferry_buffer *out_spec_json, ferry_error *err) {
    if (!buffer_copy(out_spec_json, spec_json, sizeof spec_json - 1)) {
        return fail(err, FERRY_ERR_INTERNAL, "Out of memory.");
    }
    return FERRY_OK;
}

/* Does the host table reach `slot` and fill it? */
#define HOST_HAS(host, slot) \
    ((host)->struct_size >= offsetof(ferry_host_api, slot) + sizeof((host)->slot) && (host)->slot != NULL)

/* Reads state "runs", adds one and stores it: proof that host state works. */
static ferry_status count_run(const cdemo_instance *instance, ferry_error *err) {
    const ferry_host_api *host = instance->host;
    if (!HOST_HAS(host, state_get) || !HOST_HAS(host, state_set)) return FERRY_OK;
    ferry_str key = {"runs", 4};
    ferry_buffer value = {0};
    int64_t runs = 0;
    ferry_status status = host->state_get(instance->ctx, key, &value, err);
    if (status == FERRY_OK) {
        for (size_t i = 0; value.ptr != NULL && i < value.len && i < 18; i++) {
            if (value.ptr[i] < '0' || value.ptr[i] > '9') break;
            runs = runs * 10 + (value.ptr[i] - '0');
        }
        if (value.release != NULL) value.release(&value);
    } else if (status != FERRY_ERR_NOT_FOUND) {
        return status;  /* the host filled err */
    } else if (err != NULL && err->message.release != NULL) {
        err->message.release(&err->message);  /* not found is not our error */
    }
    char digits[20];
    ferry_str next = {digits, format_u64(digits, (uint64_t)runs + 1)};
    return host->state_set(instance->ctx, key, next, err);
}

static ferry_status cdemo_open(const ferry_host_api *host, ferry_host_ctx *ctx, ferry_str config_json,
                               ferry_instance **out_instance, ferry_error *err) {
    int64_t count = CDEMO_DEFAULT_COUNT, batch_size = CDEMO_DEFAULT_BATCH;
    const char *json = config_json.ptr ? config_json.ptr : "";
    size_t i = 0;
    while (i < config_json.len && is_space(json[i])) i++;
    if (i < config_json.len && json[i] != '{') {
        return fail(err, FERRY_ERR_INVALID, "cdemo config must be a JSON object.");
    }
    if (scan_int(json, config_json.len, "count", &count) == SCAN_INVALID) {
        return fail(err, FERRY_ERR_INVALID, "cdemo config: count must be a non-negative integer.");
    }
    if (scan_int(json, config_json.len, "batch_size", &batch_size) == SCAN_INVALID
        || batch_size < 1 || batch_size > CDEMO_MAX_BATCH) {
        return fail(err, FERRY_ERR_INVALID, "cdemo config: batch_size must be an integer from 1 to %d.",
                    CDEMO_MAX_BATCH);
    }
    if (host == NULL) return fail(err, FERRY_ERR_INVALID, "cdemo needs the host table.");

    cdemo_instance *instance = calloc(1, sizeof *instance);
    if (instance == NULL) return fail(err, FERRY_ERR_INTERNAL, "Out of memory.");
    instance->host = host;
    instance->ctx = ctx;
    instance->count = count;
    instance->batch_size = batch_size;
    atomic_init(&instance->cancelled, 0);

    if (HOST_HAS(host, log)) {
        char fields[64] = "{\"count\":";
        size_t n = 9;
        n += format_u64(fields + n, (uint64_t)count);
        fields[n++] = '}';
        static const char message[] = "Opened cdemo.";
        host->log(ctx, FERRY_LOG_INFO, (ferry_str){message, sizeof message - 1}, (ferry_str){fields, n});
    }
    ferry_status status = count_run(instance, err);
    if (status != FERRY_OK) {
        free(instance);
        return status;
    }
    *out_instance = (ferry_instance *)instance;
    return FERRY_OK;
}

static ferry_status cdemo_check(ferry_instance *instance, ferry_buffer *out_report_json, ferry_error *err) {
    (void)instance;
    static const char report[] = "{\"ok\":true,\"message\":\"cdemo needs nothing to be healthy.\"}";
    if (!buffer_copy(out_report_json, report, sizeof report - 1)) {
        return fail(err, FERRY_ERR_INTERNAL, "Out of memory.");
    }
    return FERRY_OK;
}

/* ------------------------------------------------------------ slots: source */

static const char catalog_json[] =
    "{\"streams\":[{\"name\":\"numbers\",\"schema\":{\"type\":\"object\",\"properties\":{"
    "\"id\":{\"type\":\"integer\"},\"value\":{\"type\":\"integer\"},"
    "\"label\":{\"type\":\"string\"},\"updated_at\":{\"type\":\"integer\"}}},"
    "\"primary_key\":[\"id\"],\"cursor_field\":\"updated_at\"}]}";

static ferry_status cdemo_discover(ferry_instance *instance, ferry_buffer *out_catalog_json, ferry_error *err) {
    (void)instance;
    if (!buffer_copy(out_catalog_json, catalog_json, sizeof catalog_json - 1)) {
        return fail(err, FERRY_ERR_INTERNAL, "Out of memory.");
    }
    return FERRY_OK;
}

static void chunk_unref(cdemo_chunk *chunk) {
    if (chunk != NULL && atomic_fetch_sub(&chunk->refs, 1) == 1) {
        free(chunk->data);
        free(chunk);
    }
}

static ferry_status cdemo_read_open(ferry_instance *opaque, ferry_str request_json,
                                    ferry_reader **out_reader, ferry_error *err) {
    cdemo_instance *instance = (cdemo_instance *)opaque;
    const char *json = request_json.ptr ? request_json.ptr : "";
    ferry_str stream = {0};
    if (scan_string(json, request_json.len, "stream", &stream) != SCAN_OK || !str_equals(stream, CDEMO_STREAM)) {
        return fail(err, FERRY_ERR_INVALID, "cdemo has one stream, \"numbers\"; the request names '%.*s'.",
                    (int)(stream.len > 64 ? 64 : stream.len), stream.ptr ? stream.ptr : "");
    }
    int64_t last_id = 0, batch_size = instance->batch_size;
    if (!has_flag(json, request_json.len, "full_refresh")
        && scan_int(json, request_json.len, "last_id", &last_id) == SCAN_INVALID) {
        return fail(err, FERRY_ERR_INVALID, "cdemo checkpoint: last_id must be a non-negative integer.");
    }
    if (scan_int(json, request_json.len, "batch_size", &batch_size) == SCAN_INVALID
        || batch_size < 1 || batch_size > CDEMO_MAX_BATCH) {
        return fail(err, FERRY_ERR_INVALID, "cdemo read request: batch_size must be from 1 to %d.",
                    CDEMO_MAX_BATCH);
    }
    cdemo_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL) return fail(err, FERRY_ERR_INTERNAL, "Out of memory.");
    reader->instance = instance;
    reader->next_id = last_id + 1;
    reader->last_id = instance->count;
    reader->batch_size = batch_size;
    *out_reader = (ferry_reader *)reader;
    return FERRY_OK;
}

static void batch_release(ferry_batch *self) {
    chunk_unref(self->private_data);
    self->release = NULL;
    self->private_data = NULL;
}

/* A chunk no batch holds: the reader's own when it came back, else a new one. */
static cdemo_chunk *take_chunk(cdemo_reader *reader, size_t need) {
    cdemo_chunk *chunk = reader->chunk;
    if (chunk != NULL && atomic_load(&chunk->refs) != 1) {
        chunk_unref(chunk);  /* still lent out: the batch frees it */
        chunk = reader->chunk = NULL;
    }
    if (chunk == NULL) {
        chunk = calloc(1, sizeof *chunk);
        if (chunk == NULL) return NULL;
        atomic_init(&chunk->refs, 1);
        reader->chunk = chunk;
    }
    if (chunk->cap < need) {
        char *grown = realloc(chunk->data, need);
        if (grown == NULL) return NULL;
        chunk->data = grown;
        chunk->cap = need;
    }
    return chunk;
}

static ferry_status cdemo_read_next(ferry_reader *opaque, ferry_batch *out_batch, ferry_error *err) {
    cdemo_reader *reader = (cdemo_reader *)opaque;
    cdemo_instance *instance = reader->instance;
    if (atomic_load(&instance->cancelled)) {
        return fail(err, FERRY_ERR_CANCELLED, "cdemo read was cancelled.");
    }
    if (reader->next_id > reader->last_id) return FERRY_END;
    int64_t n = reader->last_id - reader->next_id + 1;
    if (n > reader->batch_size) n = reader->batch_size;

    cdemo_chunk *chunk = take_chunk(reader, (size_t)n * CDEMO_MAX_RECORD);
    if (chunk == NULL) return fail(err, FERRY_ERR_INTERNAL, "Out of memory.");

    /* The hot loop: memcpy of fixed text and a hand-made integer formatter. */
    char *out = chunk->data;
    char id[20], twice[20];
    for (int64_t k = 0; k < n; k++) {
        uint64_t value = (uint64_t)(reader->next_id + k);
        size_t id_len = format_u64(id, value);
        size_t twice_len = format_u64(twice, value * 2);
        memcpy(out, "{\"id\":", 6); out += 6;
        memcpy(out, id, id_len); out += id_len;
        memcpy(out, ",\"value\":", 9); out += 9;
        memcpy(out, twice, twice_len); out += twice_len;
        memcpy(out, ",\"label\":\"n", 11); out += 11;
        memcpy(out, id, id_len); out += id_len;
        memcpy(out, "\",\"updated_at\":", 15); out += 15;
        memcpy(out, id, id_len); out += id_len;
        memcpy(out, "}\n", 2); out += 2;
    }
    reader->next_id += n;

    size_t checkpoint_len = 11;
    memcpy(chunk->checkpoint, "{\"last_id\":", 11);
    checkpoint_len += format_u64(chunk->checkpoint + checkpoint_len, (uint64_t)(reader->next_id - 1));
    chunk->checkpoint[checkpoint_len++] = '}';

    atomic_fetch_add(&chunk->refs, 1);  /* the batch's reference */
    out_batch->struct_size = sizeof *out_batch;
    out_batch->record_count = (uint32_t)n;
    out_batch->records = (ferry_str){chunk->data, (size_t)(out - chunk->data)};
    out_batch->checkpoint = (ferry_str){chunk->checkpoint, checkpoint_len};
    out_batch->release = batch_release;
    out_batch->private_data = chunk;
    return FERRY_OK;
}

static void cdemo_read_close(ferry_reader *opaque) {
    cdemo_reader *reader = (cdemo_reader *)opaque;
    chunk_unref(reader->chunk);
    free(reader);
}

/* ------------------------------------------------------------ slots: destination */

/* One block holds both NDJSON texts of a write result. */
static void write_result_release(ferry_write_result *self) {
    free(self->private_data);
    self->private_data = NULL;
    self->release = NULL;
}

static ferry_status cdemo_write(ferry_instance *opaque, ferry_str request_json, ferry_str records,
                                ferry_write_result *out_result, ferry_error *err) {
    cdemo_instance *instance = (cdemo_instance *)opaque;
    const char *json = request_json.ptr ? request_json.ptr : "";
    ferry_str mode = {0};
    if (scan_string(json, request_json.len, "mode", &mode) == SCAN_OK && !str_equals(mode, "append")
        && !str_equals(mode, "upsert") && !str_equals(mode, "delete")) {
        return fail(err, FERRY_ERR_INVALID, "cdemo write: mode must be append, upsert or delete.");
    }
    text rejects = {0}, mappings = {0};
    uint32_t index = 0, accepted = 0, rejected = 0;
    int ok = 1;
    const char *p = records.ptr, *end = records.ptr + records.len;
    while (ok && p != NULL && p < end) {
        if (atomic_load(&instance->cancelled)) {
            free(rejects.data);
            free(mappings.data);
            return fail(err, FERRY_ERR_CANCELLED, "cdemo write was cancelled.");
        }
        const char *newline = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = newline ? newline : end;
        size_t len = (size_t)(line_end - p);
        if (len > 0) {
            if (has_flag(p, len, "reject")) {
                rejected++;
                ok = text_append_str(&rejects, "{\"index\":") && text_append_u64(&rejects, index)
                    && text_append_str(&rejects, ",\"error\":\"The record asked to be rejected.\"}\n");
            } else {
                accepted++;
                if (has_flag(p, len, "want_id")) {
                    ok = text_append_str(&mappings, "{\"index\":") && text_append_u64(&mappings, index)
                        && text_append_str(&mappings, ",\"destination_id\":\"c-")
                        && text_append_u64(&mappings, index) && text_append_str(&mappings, "\"}\n");
                }
            }
            index++;
        }
        p = newline ? newline + 1 : end;
    }
    /* Join both texts into the one block the release callback frees. */
    char *block = ok ? malloc(rejects.len + mappings.len + 1) : NULL;
    if (block != NULL) {
        if (rejects.len) memcpy(block, rejects.data, rejects.len);
        if (mappings.len) memcpy(block + rejects.len, mappings.data, mappings.len);
    }
    free(rejects.data);
    free(mappings.data);
    if (block == NULL) return fail(err, FERRY_ERR_INTERNAL, "Out of memory.");
    out_result->struct_size = sizeof *out_result;
    out_result->accepted_count = accepted;
    out_result->rejected_count = rejected;
    out_result->rejects = (ferry_str){block, rejects.len};
    out_result->id_mappings = (ferry_str){block + rejects.len, mappings.len};
    out_result->release = write_result_release;
    out_result->private_data = block;
    return FERRY_OK;
}

/* ------------------------------------------------------------ slots: transform */

static void transform_result_release(ferry_transform_result *self) {
    free(self->private_data);
    self->private_data = NULL;
    self->release = NULL;
}

static ferry_status cdemo_transform(ferry_instance *opaque, ferry_str request_json, ferry_str records,
                                    ferry_transform_result *out_result, ferry_error *err) {
    (void)opaque;
    (void)request_json;
    text kept = {0};
    uint32_t count = 0;
    int ok = 1;
    const char *p = records.ptr, *end = records.ptr + records.len;
    while (ok && p != NULL && p < end) {
        const char *newline = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = newline ? newline : end;
        size_t len = (size_t)(line_end - p);
        if (len > 0 && !has_flag(p, len, "drop")) {
            ok = text_append(&kept, p, len) && text_append(&kept, "\n", 1);
            count++;
        }
        p = newline ? newline + 1 : end;
    }
    if (!ok) {
        free(kept.data);
        return fail(err, FERRY_ERR_INTERNAL, "Out of memory.");
    }
    out_result->struct_size = sizeof *out_result;
    out_result->record_count = count;
    out_result->rejected_count = 0;
    out_result->records = (ferry_str){kept.data, kept.len};
    out_result->rejects = (ferry_str){NULL, 0};
    out_result->release = transform_result_release;
    out_result->private_data = kept.data;
    return FERRY_OK;
}

/* ------------------------------------------------------------ slots: cancel, close */

static void cdemo_cancel(ferry_instance *opaque) {
    atomic_store(&((cdemo_instance *)opaque)->cancelled, 1);
}

static void cdemo_close(ferry_instance *opaque) {
    free(opaque);
}

/* ------------------------------------------------------------ the entry point */

static ferry_plugin_api api = {
    .struct_size = sizeof(ferry_plugin_api),
    .abi_minor = FERRY_ABI_MINOR,
    .spec = cdemo_spec,
    .open = cdemo_open,
    .check = cdemo_check,
    .discover = cdemo_discover,
    .read_open = cdemo_read_open,
    .read_next = cdemo_read_next,
    .read_close = cdemo_read_close,
    .write = cdemo_write,
    .transform = cdemo_transform,
    .cancel = cdemo_cancel,
    .close = cdemo_close,
};

static const ferry_plugin_descriptor descriptor;

static ferry_status cdemo_init(uint32_t host_minor, const ferry_plugin_api **out_api, ferry_error *err) {
    (void)err;
    const uint32_t own_minor = descriptor.abi_minor;  /* the highest minor we implement */
    api.abi_minor = host_minor < own_minor ? host_minor : own_minor;
    *out_api = &api;
    return FERRY_OK;
}

static const ferry_plugin_descriptor descriptor = {
    .struct_size = sizeof(ferry_plugin_descriptor),
    .abi_major = FERRY_ABI_MAJOR,
    .abi_minor = FERRY_ABI_MINOR,
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_DESTINATION | FERRY_CAP_TRANSFORM,
    .name = CDEMO_NAME,
    .version = CDEMO_VERSION,
    .runtime = "c",
    .description = "The C reference connector: numbers source, counting destination, dropping transform.",
    .init = cdemo_init,
};

FERRY_EXPORT const ferry_plugin_descriptor *ferry_plugin_v1(void) {
    return &descriptor;
}
