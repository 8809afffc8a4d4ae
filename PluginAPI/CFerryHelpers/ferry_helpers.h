/*
 * ferry_helpers.h -- optional helpers for C connectors: NDJSON batches,
 * checkpoints, owned buffers and errors. NOT part of the ABI.
 *
 * Include it after ferry_plugin.h when it saves you code; everything here is
 * `static inline`, uses only the C library, and could be written by hand from
 * docs/plugin-abi.md. Its functions may change between Ferry releases: copy the
 * file into your project (`ferry plugins new` does) instead of including it from
 * an installed Ferry. If cJSON.h is included first, the cJSON helpers at the end
 * are defined too.
 */
#ifndef FERRY_HELPERS_H
#define FERRY_HELPERS_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry_plugin.h"

/* ------------------------------------------------------------ owned memory */

static inline void ferry_helpers_free_buffer(ferry_buffer *self) {
    free(self->private_data);
    self->release = NULL;
}

/* Fills `out` with an owned copy of `len` bytes; FERRY_ERR_INTERNAL when out of memory. */
static inline ferry_status ferry_buffer_copy(ferry_buffer *out, const char *bytes, size_t len) {
    char *copy = malloc(len ? len : 1);
    if (!copy) return FERRY_ERR_INTERNAL;
    memcpy(copy, bytes, len);
    out->ptr = copy;
    out->len = len;
    out->private_data = copy;
    out->release = ferry_helpers_free_buffer;
    return FERRY_OK;
}

/* Fills `out` with an owned copy of a NUL-terminated string. */
static inline ferry_status ferry_buffer_from_string(ferry_buffer *out, const char *text) {
    return ferry_buffer_copy(out, text, strlen(text));
}

/* A NUL-terminated malloc copy of a borrowed string (free it), or NULL. */
static inline char *ferry_str_dup(ferry_str text) {
    char *copy = malloc(text.len + 1);
    if (!copy) return NULL;
    if (text.len) memcpy(copy, text.ptr, text.len);
    copy[text.len] = '\0';
    return copy;
}

/* ------------------------------------------------------------------ errors */

/* Fills `err` (when the host passed one) with `status` and a printf-style
 * message, and returns `status`: `return ferry_fail(err, FERRY_ERR_INVALID, "...");`
 * The message is one line for a human: never put a secret in it. */
static inline ferry_status ferry_fail(ferry_error *err, ferry_status status, const char *format, ...) {
    if (!err) return status;
    char line[512];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    err->status = status;
    if (err->message.release) err->message.release(&err->message);
    if (ferry_buffer_from_string(&err->message, line) != FERRY_OK) err->message = (ferry_buffer){0};
    return status;
}

/* ----------------------------------------------------------- NDJSON batches */

/* A growing NDJSON text: one JSON object per line, each ending in '\n', and the
 * number of lines. Start with `ferry_ndjson lines = {0};`. */
typedef struct ferry_ndjson {
    char *bytes;
    size_t len;
    size_t capacity;
    uint32_t count;
} ferry_ndjson;

static inline int ferry_ndjson_reserve(ferry_ndjson *lines, size_t more) {
    if (lines->len + more <= lines->capacity) return 1;
    size_t capacity = lines->capacity ? lines->capacity * 2 : 4096;
    while (capacity < lines->len + more) capacity *= 2;
    char *grown = realloc(lines->bytes, capacity);
    if (!grown) return 0;
    lines->bytes = grown;
    lines->capacity = capacity;
    return 1;
}

/* Appends one record (a JSON object's text, without a newline; one is added).
 * Returns 0 when out of memory. */
static inline int ferry_ndjson_append(ferry_ndjson *lines, const char *json, size_t len) {
    if (!ferry_ndjson_reserve(lines, len + 1)) return 0;
    memcpy(lines->bytes + lines->len, json, len);
    lines->len += len;
    lines->bytes[lines->len++] = '\n';
    lines->count += 1;
    return 1;
}

/* Frees the text (when it was not handed over to a batch). */
static inline void ferry_ndjson_free(ferry_ndjson *lines) {
    free(lines->bytes);
    *lines = (ferry_ndjson){0};
}

/* Walks NDJSON the host handed over: sets `line` to the next line (without its
 * '\n') and advances `rest`; 0 at the end. Empty lines are skipped. */
static inline int ferry_ndjson_next(ferry_str *rest, ferry_str *line) {
    while (rest->len > 0) {
        const char *newline = memchr(rest->ptr, '\n', rest->len);
        size_t length = newline ? (size_t)(newline - rest->ptr) : rest->len;
        line->ptr = rest->ptr;
        line->len = length;
        size_t consumed = newline ? length + 1 : length;
        rest->ptr += consumed;
        rest->len -= consumed;
        if (length > 0) return 1;
    }
    return 0;
}

static inline void ferry_helpers_free_batch(ferry_batch *self) {
    free(self->private_data);
    self->release = NULL;
}

/* Hands `lines` and a checkpoint (a JSON text, NULL for "no new position") over
 * to `out`: one malloc block freed by the batch's release. `lines` is empty
 * afterwards and may be reused. The checkpoint is what the host gives back as
 * "checkpoint" in the next read request, only after this batch was written. */
static inline ferry_status ferry_batch_take(ferry_batch *out, ferry_ndjson *lines, const char *checkpoint,
                                            ferry_error *err) {
    size_t checkpoint_len = checkpoint ? strlen(checkpoint) : 0;
    char *block = malloc(lines->len + checkpoint_len + 1);
    if (!block) return ferry_fail(err, FERRY_ERR_INTERNAL, "out of memory for a batch");
    if (lines->len) memcpy(block, lines->bytes, lines->len);
    if (checkpoint_len) memcpy(block + lines->len, checkpoint, checkpoint_len);
    out->struct_size = sizeof(ferry_batch);
    out->record_count = lines->count;
    out->records = (ferry_str){block, lines->len};
    out->checkpoint = (ferry_str){checkpoint_len ? block + lines->len : NULL, checkpoint_len};
    out->private_data = block;
    out->release = ferry_helpers_free_batch;
    lines->len = 0;
    lines->count = 0;
    return FERRY_OK;
}

/* --------------------------------------------------------- write results */

typedef struct ferry_helpers_write_block {
    ferry_ndjson rejects;
    ferry_ndjson id_mappings;
} ferry_helpers_write_block;

static inline void ferry_helpers_free_write(ferry_write_result *self) {
    ferry_helpers_write_block *block = self->private_data;
    ferry_ndjson_free(&block->rejects);
    ferry_ndjson_free(&block->id_mappings);
    free(block);
    self->release = NULL;
}

/* Appends {"index": N, "error": "..."} to `rejects` (the message must be JSON-safe:
 * no quotes or backslashes). */
static inline int ferry_reject(ferry_ndjson *rejects, uint32_t index, const char *message) {
    char line[600];
    int length = snprintf(line, sizeof line, "{\"index\":%u,\"error\":\"%.500s\"}", index, message);
    return length > 0 && ferry_ndjson_append(rejects, line, (size_t)length);
}

/* Fills `out` from the counts and takes over both NDJSON texts (either may be empty). */
static inline ferry_status ferry_write_result_take(ferry_write_result *out, uint32_t accepted, ferry_ndjson *rejects,
                                                   ferry_ndjson *id_mappings, ferry_error *err) {
    ferry_helpers_write_block *block = calloc(1, sizeof *block);
    if (!block) return ferry_fail(err, FERRY_ERR_INTERNAL, "out of memory for a write result");
    if (rejects) { block->rejects = *rejects; *rejects = (ferry_ndjson){0}; }
    if (id_mappings) { block->id_mappings = *id_mappings; *id_mappings = (ferry_ndjson){0}; }
    out->struct_size = sizeof(ferry_write_result);
    out->accepted_count = accepted;
    out->rejected_count = block->rejects.count;
    out->rejects = (ferry_str){block->rejects.bytes, block->rejects.len};
    out->id_mappings = (ferry_str){block->id_mappings.bytes, block->id_mappings.len};
    out->private_data = block;
    out->release = ferry_helpers_free_write;
    return FERRY_OK;
}

/* ----------------------------------------------------- transform results */

static inline void ferry_helpers_free_transform(ferry_transform_result *self) {
    ferry_helpers_write_block *block = self->private_data;
    ferry_ndjson_free(&block->rejects);
    ferry_ndjson_free(&block->id_mappings);
    free(block);
    self->release = NULL;
}

/* Fills `out` from the records to pass on and the rejects, taking over both texts. */
static inline ferry_status ferry_transform_result_take(ferry_transform_result *out, ferry_ndjson *records,
                                                       ferry_ndjson *rejects, ferry_error *err) {
    ferry_helpers_write_block *block = calloc(1, sizeof *block);
    if (!block) return ferry_fail(err, FERRY_ERR_INTERNAL, "out of memory for a transform result");
    block->id_mappings = *records;  /* the records to pass on, freed with the rejects */
    *records = (ferry_ndjson){0};
    if (rejects) { block->rejects = *rejects; *rejects = (ferry_ndjson){0}; }
    out->struct_size = sizeof(ferry_transform_result);
    out->record_count = block->id_mappings.count;
    out->rejected_count = block->rejects.count;
    out->records = (ferry_str){block->id_mappings.bytes, block->id_mappings.len};
    out->rejects = (ferry_str){block->rejects.bytes, block->rejects.len};
    out->private_data = block;
    out->release = ferry_helpers_free_transform;
    return FERRY_OK;
}

/* --------------------------------------------------------- cJSON, if present */

#ifdef cJSON__h
/* Parses a borrowed JSON text; NULL when it is not JSON. cJSON_Delete the result. */
static inline cJSON *ferry_cjson_parse(ferry_str text) { return cJSON_ParseWithLength(text.ptr, text.len); }

/* Appends `object` as one compact NDJSON line. Returns 0 when out of memory. */
static inline int ferry_ndjson_append_cjson(ferry_ndjson *lines, const cJSON *object) {
    char *text = cJSON_PrintUnformatted(object);
    if (!text) return 0;
    int appended = ferry_ndjson_append(lines, text, strlen(text));
    cJSON_free(text);
    return appended;
}
#endif

#endif /* FERRY_HELPERS_H */
