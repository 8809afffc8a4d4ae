/*
 * flaky_source.c -- a misbehaving C source for the "nothing lost" tests.
 *
 * Serves the records of a text file, one JSON object per line, each with an
 * increasing integer "seq". The checkpoint is {"after": <seq>}: a read starts
 * after it, as an API with a cursor filter would. The file is read again at
 * every read_open, so a test can change the source between runs.
 *
 * Faults come from a second file, `<path>.faults`, one per line (read at open):
 *   fail_after_progress N   the N-th read_next of the process advances past its
 *                           batch and then fails FERRY_ERR_RETRYABLE (a lost page)
 *   fail_rate PERCENT       each read_next fails like that with this chance
 *   malformed N             the N-th batch carries a line that is not JSON
 *   count_mismatch N        the N-th batch claims one record more than it holds
 *   no_newline N            the N-th batch lacks its final newline
 *   incomplete              end with FERRY_END, never FERRY_END_COMPLETE
 *   empty                   serve nothing (a flaky API's empty first page)
 *   segfault_at N           the N-th read_next of the process writes through a NULL
 *                           pointer: the process dies of SIGSEGV (process isolation tests)
 *   hang_at N               the N-th read_next creates `<path>.hanging` and waits until the
 *                           host calls `cancel`, then fails FERRY_ERR_CANCELLED
 *   retry_later_at N        the N-th read_next creates `<path>.retrying` and fails
 *                           FERRY_ERR_RETRYABLE asking to be retried in 60 s (`retry_after_ms`),
 *                           without moving on: the host's retry waits that long
 *
 * Build: cc -std=c11 -shared -fPIC -fvisibility=hidden -I <include> -o libferry-flaky.so flaky_source.c
 */
#include <ferry_plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct flaky_instance {
    char path[4096];
} flaky_instance;

typedef struct flaky_reader {
    char hanging[4200];  /* <path>.hanging: created while read_next waits for cancel */
    char retrying[4200]; /* <path>.retrying: created when read_next asks to be retried later */
    char **lines;      /* records with seq > after, in file order */
    long *seqs;
    size_t count;
    size_t next;
    size_t batch_size;
} flaky_reader;

static long fail_after_progress = -1, fail_rate = 0, malformed = -1, count_mismatch = -1, no_newline = -1;
static long segfault_at = -1, hang_at = -1, retry_later_at = -1;
static volatile int cancel_requested = 0;
static int incomplete = 0, empty = 0;
static long read_calls = 0, batches_served = 0;
static unsigned int random_state = 0;

static void release_buffer(ferry_buffer *self) {
    free((void *)self->ptr);
    self->release = NULL;
}

static void set_error(ferry_error *err, ferry_status status, const char *message) {
    if (!err || err->struct_size < sizeof(ferry_error)) return;
    err->status = status;
    size_t len = strlen(message);
    char *copy = malloc(len);
    memcpy(copy, message, len);
    err->message = (ferry_buffer){.ptr = copy, .len = len, .release = release_buffer};
}

/* The integer after `"key":` in a flat JSON text, or `fallback`. */
static long json_long(const char *text, size_t len, const char *key, long fallback) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    char *copy = strndup(text, len);
    char *found = strstr(copy, pattern);
    long value = found ? strtol(found + strlen(pattern), NULL, 10) : fallback;
    free(copy);
    return value;
}

static void load_faults(const char *path) {
    char faults[4200];
    snprintf(faults, sizeof faults, "%s.faults", path);
    FILE *file = fopen(faults, "r");
    if (!file) return;
    char name[64];
    long value;
    char line[256];
    while (fgets(line, sizeof line, file)) {
        value = -1;
        if (sscanf(line, "%63s %ld", name, &value) < 1) continue;
        if (!strcmp(name, "fail_after_progress")) fail_after_progress = value;
        else if (!strcmp(name, "fail_rate")) fail_rate = value;
        else if (!strcmp(name, "malformed")) malformed = value;
        else if (!strcmp(name, "count_mismatch")) count_mismatch = value;
        else if (!strcmp(name, "no_newline")) no_newline = value;
        else if (!strcmp(name, "incomplete")) incomplete = 1;
        else if (!strcmp(name, "empty")) empty = 1;
        else if (!strcmp(name, "segfault_at")) segfault_at = value;
        else if (!strcmp(name, "hang_at")) hang_at = value;
        else if (!strcmp(name, "retry_later_at")) retry_later_at = value;
    }
    fclose(file);
    random_state = (unsigned int)getpid() * 2654435761u;
}

static ferry_status flaky_spec(ferry_buffer *out, ferry_error *err) {
    (void)err;
    const char *spec = "{\"config\":{\"type\":\"object\"},\"documentation\":\"a misbehaving test source\"}";
    out->ptr = strdup(spec);
    out->len = strlen(spec);
    out->release = release_buffer;
    return FERRY_OK;
}

static ferry_status flaky_open(const ferry_host_api *host, ferry_host_ctx *ctx, ferry_str config,
                               ferry_instance **out, ferry_error *err) {
    (void)host; (void)ctx;
    char *text = strndup(config.ptr ? config.ptr : "", config.len);
    char *found = strstr(text, "\"path\":\"");
    if (!found) {
        free(text);
        set_error(err, FERRY_ERR_INVALID, "config needs a path");
        return FERRY_ERR_INVALID;
    }
    found += 8;
    char *end = strchr(found, '"');
    flaky_instance *instance = calloc(1, sizeof *instance);
    snprintf(instance->path, sizeof instance->path, "%.*s", (int)(end ? end - found : 0), found);
    free(text);
    load_faults(instance->path);
    *out = (ferry_instance *)instance;
    return FERRY_OK;
}

static ferry_status flaky_discover(ferry_instance *instance, ferry_buffer *out, ferry_error *err) {
    (void)instance; (void)err;
    const char *catalog = "{\"streams\":[{\"name\":\"records\",\"schema\":{\"type\":\"object\"},\"primary_key\":[\"seq\"],\"cursor_field\":\"seq\"}]}";
    out->ptr = strdup(catalog);
    out->len = strlen(catalog);
    out->release = release_buffer;
    return FERRY_OK;
}

static ferry_status flaky_read_open(ferry_instance *handle, ferry_str request, ferry_reader **out, ferry_error *err) {
    flaky_instance *instance = (flaky_instance *)handle;
    long after = json_long(request.ptr, request.len, "after", -1);
    long batch = json_long(request.ptr, request.len, "batch_size", 100);
    FILE *file = fopen(instance->path, "r");
    if (!file) {
        set_error(err, FERRY_ERR_RETRYABLE, "cannot open the records file");
        return FERRY_ERR_RETRYABLE;
    }
    flaky_reader *reader = calloc(1, sizeof *reader);
    snprintf(reader->hanging, sizeof reader->hanging, "%s.hanging", instance->path);
    snprintf(reader->retrying, sizeof reader->retrying, "%s.retrying", instance->path);
    reader->batch_size = batch > 0 ? (size_t)batch : 100;
    size_t capacity = 0;
    char *line = NULL;
    size_t size = 0;
    ssize_t length;
    while (!empty && (length = getline(&line, &size, file)) > 0) {
        if (line[length - 1] == '\n') line[--length] = 0;
        if (length == 0) continue;
        long seq = json_long(line, (size_t)length, "seq", -1);
        if (seq <= after) continue;
        if (reader->count == capacity) {
            capacity = capacity ? capacity * 2 : 256;
            reader->lines = realloc(reader->lines, capacity * sizeof(char *));
            reader->seqs = realloc(reader->seqs, capacity * sizeof(long));
        }
        reader->lines[reader->count] = strdup(line);
        reader->seqs[reader->count++] = seq;
    }
    free(line);
    fclose(file);
    *out = (ferry_reader *)reader;
    return FERRY_OK;
}

static void release_batch(ferry_batch *self) {
    free(self->private_data);
    self->release = NULL;
}

static ferry_status flaky_read_next(ferry_reader *handle, ferry_batch *out, ferry_error *err) {
    flaky_reader *reader = (flaky_reader *)handle;
    read_calls += 1;
    if (read_calls == segfault_at) {
        volatile int *nowhere = NULL;
        *nowhere = 1;
    }
    if (read_calls == hang_at) {
        FILE *mark = fopen(reader->hanging, "w");
        if (mark) fclose(mark);
        while (!cancel_requested) usleep(1000);
        set_error(err, FERRY_ERR_CANCELLED, "cancelled while waiting");
        return FERRY_ERR_CANCELLED;
    }
    if (read_calls == retry_later_at) {
        FILE *mark = fopen(reader->retrying, "w");
        if (mark) fclose(mark);
        set_error(err, FERRY_ERR_RETRYABLE, "busy, come back in a minute");
        if (err && err->struct_size >= sizeof(ferry_error)) err->retry_after_ms = 60000;
        return FERRY_ERR_RETRYABLE;
    }
    if (reader->next >= reader->count) return incomplete ? FERRY_END : FERRY_END_COMPLETE;
    size_t first = reader->next, last = first + reader->batch_size;
    if (last > reader->count) last = reader->count;
    reader->next = last;  /* progress first: a failure below loses this page unless the host reopens */
    random_state = random_state * 1103515245u + 12345u;
    if (read_calls == fail_after_progress || (fail_rate > 0 && (long)((random_state >> 8) % 100) < fail_rate)) {
        set_error(err, FERRY_ERR_RETRYABLE, "connection reset while reading a page");
        return FERRY_ERR_RETRYABLE;
    }
    batches_served += 1;
    size_t total = 64;
    for (size_t index = first; index < last; index++) total += strlen(reader->lines[index]) + 1;
    char *data = malloc(total + 64);
    size_t used = 0;
    for (size_t index = first; index < last; index++) {
        const char *record = reader->lines[index];
        if (batches_served == malformed && index == first) record = "{\"seq\": 1, \"broken";
        size_t length = strlen(record);
        memcpy(data + used, record, length);
        used += length;
        data[used++] = '\n';
    }
    if (batches_served == no_newline) used -= 1;
    char *checkpoint = data + used + 1;
    int checkpoint_length = snprintf(checkpoint, 48, "{\"after\":%ld}", reader->seqs[last - 1]);
    out->struct_size = sizeof *out;
    out->record_count = (uint32_t)(last - first) + (batches_served == count_mismatch ? 1 : 0);
    out->records = (ferry_str){.ptr = data, .len = used};
    out->checkpoint = (ferry_str){.ptr = checkpoint, .len = (size_t)checkpoint_length};
    out->release = release_batch;
    out->private_data = data;
    return FERRY_OK;
}

static void flaky_read_close(ferry_reader *handle) {
    flaky_reader *reader = (flaky_reader *)handle;
    for (size_t index = 0; index < reader->count; index++) free(reader->lines[index]);
    free(reader->lines);
    free(reader->seqs);
    free(reader);
}

static void flaky_close(ferry_instance *instance) { free(instance); }

static void flaky_cancel(ferry_instance *instance) {
    (void)instance;
    cancel_requested = 1;
}

static ferry_status flaky_init(uint32_t host_minor, const ferry_plugin_api **out, ferry_error *err) {
    (void)err;
    static ferry_plugin_api api;
    api.struct_size = sizeof api;
    api.abi_minor = host_minor < FERRY_ABI_MINOR ? host_minor : FERRY_ABI_MINOR;
    api.spec = flaky_spec;
    api.open = flaky_open;
    api.discover = flaky_discover;
    api.read_open = flaky_read_open;
    api.read_next = flaky_read_next;
    api.read_close = flaky_read_close;
    api.cancel = flaky_cancel;
    api.close = flaky_close;
    *out = &api;
    return FERRY_OK;
}

FERRY_EXPORT const ferry_plugin_descriptor *ferry_plugin_v1(void) {
    static const ferry_plugin_descriptor descriptor = {
        .struct_size = sizeof(ferry_plugin_descriptor), .abi_major = FERRY_ABI_MAJOR, .abi_minor = FERRY_ABI_MINOR,
        .capabilities = FERRY_CAP_SOURCE, .name = "flaky", .version = "1.0.0", .runtime = "c",
        .description = "a misbehaving test source", .init = flaky_init,
    };
    return &descriptor;
}
