/*
 * kit_plugin.c -- a small source + destination that passes `ferry plugins test`,
 * and, with one -D switch, breaks one rule of the contract so that the kit must
 * fail it for that reason (Tests/FerryKitTests):
 *   BREAK_SPEC_JSON     the spec is not JSON
 *   BREAK_SPEC_SCHEMA   the config schema has a type JSON Schema does not know
 *   BREAK_COUNT         record_count claims one record more than the batch holds
 *   BREAK_NEWLINE       the batch lacks its final newline
 *   BREAK_CHECKPOINT    read_open ignores the checkpoint (every read starts over)
 *   BREAK_CANCEL        cancel and the host's is_cancelled are ignored
 *   BREAK_ERROR         a refused config returns FERRY_ERR_INVALID without a message
 *   BREAK_RELEASE       a batch's release frees but does not mark it released
 *   BREAK_WRITE_COUNTS  write accepts one record fewer than it was given, rejecting none
 *   BREAK_REREAD        every record carries the reading process's id: a re-read differs
 *   BREAK_LEAK          a batch's release marks it released but never frees its block
 *   BREAK_OVERFLOW      read_next writes one byte past the end of the block it allocated
 *
 * Stream "items": {"id": N, "name": "item N"} for N in (checkpoint.last_id, count];
 * checkpoint {"last_id": N}. The destination accepts every record.
 */
#include <ferry_plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct ferry_instance {
    const ferry_host_api *host;
    ferry_host_ctx *ctx;
    long count;
    volatile int cancelled;
} kit_instance;

typedef struct ferry_reader {
    kit_instance *instance;
    long next, batch_size;
} kit_reader;

static void free_buffer(ferry_buffer *self) {
    free(self->private_data);
    self->release = NULL;
}

static ferry_buffer owned(const char *text) {
    size_t len = strlen(text);
    char *copy = malloc(len + 1);
    memcpy(copy, text, len + 1);
    return (ferry_buffer){copy, len, free_buffer, copy};
}

static ferry_status fail(ferry_error *err, ferry_status status, const char *message) {
#ifndef BREAK_ERROR
    if (err) {
        err->status = status;
        err->message = owned(message);
    }
#else
    (void)err; (void)message;
#endif
    return status;
}

/* The integer after "key": in a flat JSON text, or `fallback`. */
static long json_long(ferry_str text, const char *key, long fallback) {
    char pattern[64], *copy = malloc(text.len + 1);
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    memcpy(copy, text.ptr, text.len);
    copy[text.len] = '\0';
    char *found = strstr(copy, pattern);
    long value = found ? strtol(found + strlen(pattern), NULL, 10) : fallback;
    free(copy);
    return value;
}

static ferry_status kit_spec(ferry_buffer *out, ferry_error *err) {
    (void)err;
#if defined(BREAK_SPEC_JSON)
    *out = owned("{\"config\": {\"type\": \"object\"");
#elif defined(BREAK_SPEC_SCHEMA)
    *out = owned("{\"config\": {\"type\": \"map\"}}");
#else
    *out = owned("{\"config\": {\"type\": \"object\", \"properties\": {\"count\": {\"type\": \"integer\"}}}}");
#endif
    return FERRY_OK;
}

static ferry_status kit_open(const ferry_host_api *host, ferry_host_ctx *ctx, ferry_str config, ferry_instance **out,
                             ferry_error *err) {
    if (config.len == 0 || config.ptr[0] != '{') return fail(err, FERRY_ERR_INVALID, "kit config must be an object");
    kit_instance *self = calloc(1, sizeof *self);
    self->host = host;
    self->ctx = ctx;
    self->count = json_long(config, "count", 20);
    *out = self;
    return FERRY_OK;
}

static ferry_status kit_check(ferry_instance *self, ferry_buffer *out, ferry_error *err) {
    (void)self; (void)err;
    *out = owned("{\"ok\": true, \"message\": \"ready\"}");
    return FERRY_OK;
}

static ferry_status kit_discover(ferry_instance *self, ferry_buffer *out, ferry_error *err) {
    (void)self; (void)err;
    *out = owned("{\"streams\": [{\"name\": \"items\", \"primary_key\": [\"id\"], \"schema\": {\"type\": \"object\"}}]}");
    return FERRY_OK;
}

static ferry_status kit_read_open(ferry_instance *self, ferry_str request, ferry_reader **out, ferry_error *err) {
    char stream[] = "\"stream\":\"items\"";
    int found = 0;
    for (size_t i = 0; i + sizeof stream - 1 <= request.len; i++)
        if (memcmp(request.ptr + i, stream, sizeof stream - 1) == 0) found = 1;
    if (!found) return fail(err, FERRY_ERR_INVALID, "unknown stream; kit has 'items'");
    kit_reader *reader = calloc(1, sizeof *reader);
    reader->instance = self;
#ifdef BREAK_CHECKPOINT
    reader->next = 1;
#else
    reader->next = json_long(request, "last_id", 0) + 1;
#endif
    reader->batch_size = json_long(request, "batch_size", 100);
    *out = reader;
    return FERRY_OK;
}

static void free_batch(ferry_batch *self) {
#ifndef BREAK_LEAK
    free(self->private_data);
#endif
#ifndef BREAK_RELEASE
    self->release = NULL;
#endif
}

static ferry_status kit_read_next(ferry_reader *reader, ferry_batch *out, ferry_error *err) {
    kit_instance *self = reader->instance;
    (void)err;
#ifndef BREAK_CANCEL
    if (self->cancelled || self->host->is_cancelled(self->ctx)) return fail(err, FERRY_ERR_CANCELLED, "cancelled");
#endif
    if (reader->next > self->count) return FERRY_END_COMPLETE;
    long end = reader->next + reader->batch_size - 1;
    if (end > self->count) end = self->count;
    size_t capacity = (size_t)(end - reader->next + 1) * 64 + 64;
    char *block = malloc(capacity);
#ifdef BREAK_OVERFLOW
    /* Flip the byte past the block rather than store a constant: a freed block comes back at
       the same address, so a constant that equals glibc's check byte there would go unseen
       for the whole read check. */
    block[capacity] ^= 0x5a;
#endif
    size_t len = 0;
    for (long id = reader->next; id <= end; id++) {
#ifdef BREAK_REREAD
        len += (size_t)sprintf(block + len, "{\"id\":%ld,\"name\":\"item %ld\",\"reader\":%ld}\n", id, id, (long)getpid());
#else
        len += (size_t)sprintf(block + len, "{\"id\":%ld,\"name\":\"item %ld\"}\n", id, id);
#endif
    }
#ifdef BREAK_NEWLINE
    len -= 1;
#endif
    int checkpoint = sprintf(block + len, "{\"last_id\":%ld}", end);
    out->struct_size = sizeof *out;
    out->record_count = (uint32_t)(end - reader->next + 1);
#ifdef BREAK_COUNT
    out->record_count += 1;
#endif
    out->records = (ferry_str){block, len};
    out->checkpoint = (ferry_str){block + len, (size_t)checkpoint};
    out->release = free_batch;
    out->private_data = block;
    reader->next = end + 1;
    return FERRY_OK;
}

static void kit_read_close(ferry_reader *reader) { free(reader); }

static void free_result(ferry_write_result *self) { self->release = NULL; }

static ferry_status kit_write(ferry_instance *self, ferry_str request, ferry_str records, ferry_write_result *out,
                              ferry_error *err) {
    (void)request;
    if (self->cancelled) return fail(err, FERRY_ERR_CANCELLED, "cancelled");
    uint32_t lines = 0;
    for (size_t i = 0; i < records.len; i++) lines += records.ptr[i] == '\n';
#ifdef BREAK_WRITE_COUNTS
    lines -= 1;
#endif
    *out = (ferry_write_result){.struct_size = sizeof *out, .accepted_count = lines, .release = free_result};
    return FERRY_OK;
}

static void kit_cancel(ferry_instance *self) {
#ifndef BREAK_CANCEL
    self->cancelled = 1;
#else
    (void)self;
#endif
}

static void kit_close(ferry_instance *self) { free(self); }

static const ferry_plugin_api api = {
    .struct_size = sizeof(ferry_plugin_api), .abi_minor = FERRY_ABI_MINOR, .spec = kit_spec, .open = kit_open,
    .check = kit_check, .discover = kit_discover, .read_open = kit_read_open, .read_next = kit_read_next,
    .read_close = kit_read_close, .write = kit_write, .cancel = kit_cancel, .close = kit_close,
};

static ferry_status kit_init(uint32_t host_minor, const ferry_plugin_api **out, ferry_error *err) {
    (void)host_minor; (void)err;
    *out = &api;
    return FERRY_OK;
}

static const ferry_plugin_descriptor descriptor = {
    .struct_size = sizeof(ferry_plugin_descriptor), .abi_major = FERRY_ABI_MAJOR, .abi_minor = FERRY_ABI_MINOR,
    .capabilities = FERRY_CAP_SOURCE | FERRY_CAP_DESTINATION, .name = "kit", .version = "1.0.0", .runtime = "c",
    .description = "The conformance kit's test plugin.", .init = kit_init,
};

FERRY_EXPORT const ferry_plugin_descriptor *ferry_plugin_v1(void) { return &descriptor; }
