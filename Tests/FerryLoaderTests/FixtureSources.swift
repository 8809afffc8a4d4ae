/// C sources of the loader's fault fixtures, written to a temporary folder and
/// compiled with `cc` by `Fixtures`. (They live in a Swift file because a
/// SwiftPM test target may not mix `.c` and `.swift` sources.)
enum FixtureSources {
    /// A small but valid plugin whose every descriptor field and failure is a
    /// `-D` switch: FX_NAME, FX_MAJOR, FX_MINOR, FX_RUNTIME, FX_CAPS,
    /// FX_INIT_FAILS, FX_NO_WRITE, FX_NO_ENTRY, FX_NEEDS_DEP, FX_UNDEFINED,
    /// FX_OPEN_CRASHES (a plugin that crashes the host in `open`, with the text of
    /// `$FX_SECRET` pointed at by registers, as a real crash may have), FX_OPEN_REPORTS_ENVIRONMENT
    /// (`open` writes SHLVL and SWIFT_BACKTRACE as the process sees them, and whether the
    /// environment the process was started with holds SWIFT_BACKTRACE, into `$FX_ENV_REPORT`), FX_LOADED_MARKER
    /// (a constructor appends the name to the file `$FX_LOADED_MARKER` names: proof of a `dlopen`),
    /// FX_OPEN_REPORTS_ALLOCATOR (`open` frees an 8 MiB block, then writes into `$FX_ALLOCATOR_REPORT`
    /// whether a 6 MiB and a 2 MiB one are mapped on their own: glibc's moving thresholds say no and
    /// no, its fixed default (128 KiB) yes and yes, `ferry`'s 4 MiB yes and no).
    static let plugin = #"""
        #include <ferry_plugin.h>
        #include <stdlib.h>
        #include <string.h>

        #ifndef FX_NAME
        #define FX_NAME "fixture"
        #endif
        #ifndef FX_MAJOR
        #define FX_MAJOR FERRY_ABI_MAJOR
        #endif
        #ifndef FX_MINOR
        #define FX_MINOR FERRY_ABI_MINOR
        #endif
        #ifndef FX_RUNTIME
        #define FX_RUNTIME "c"
        #endif
        #ifndef FX_CAPS
        #define FX_CAPS (FERRY_CAP_SOURCE | FERRY_CAP_DESTINATION)
        #endif

        #ifdef FX_NEEDS_DEP
        extern int ferry_fixture_dep(void);  /* defined in libdep.so */
        #endif
        #ifdef FX_UNDEFINED
        extern int ferry_fixture_nowhere(void);  /* defined nowhere: dlopen fails */
        #endif

        #if defined(FX_LOADED_MARKER) || defined(FX_OPEN_REPORTS_ENVIRONMENT) || defined(FX_OPEN_REPORTS_ALLOCATOR)
        #include <stdio.h>
        #endif
        #ifdef FX_OPEN_REPORTS_ALLOCATOR
        #include <malloc.h>
        #endif
        #ifdef FX_LOADED_MARKER
        __attribute__((constructor)) static void fx_loaded(void) {
            const char *marker = getenv("FX_LOADED_MARKER");
            FILE *file = marker ? fopen(marker, "a") : NULL;
            if (file) { fputs(FX_NAME "\n", file); fclose(file); }
        }
        #endif

        static void free_buffer(ferry_buffer *self) { free(self->private_data); self->release = NULL; }

        static ferry_status fx_spec(ferry_buffer *out, ferry_error *err) {
            (void)err;
            char *copy = malloc(2);
            memcpy(copy, "{}", 2);
            out->ptr = copy; out->len = 2; out->private_data = copy; out->release = free_buffer;
            return FERRY_OK;
        }
        static ferry_status fx_open(const ferry_host_api *host, ferry_host_ctx *ctx, ferry_str config,
                                    ferry_instance **out, ferry_error *err) {
            (void)host; (void)ctx; (void)config; (void)err;
        #ifdef FX_OPEN_REPORTS_ENVIRONMENT
            {
                FILE *start = fopen("/proc/self/environ", "r");
                char text[65537];
                size_t length = start ? fread(text, 1, sizeof text - 1, start) : 0;
                text[length] = '\0';
                if (start) fclose(start);
                int started_with_it = 0;
                for (size_t at = 0; at < length; at += strlen(text + at) + 1)
                    if (strncmp(text + at, "SWIFT_BACKTRACE=", 16) == 0) started_with_it = 1;
                const char *report = getenv("FX_ENV_REPORT");
                FILE *file = report ? fopen(report, "w") : NULL;
                if (file) {
                    const char *level = getenv("SHLVL"), *settings = getenv("SWIFT_BACKTRACE");
                    fprintf(file, "SHLVL=%s\nSWIFT_BACKTRACE=%s\nstarted with SWIFT_BACKTRACE=%s\n",
                            level ? level : "(unset)", settings ? settings : "(unset)", started_with_it ? "yes" : "no");
                    fclose(file);
                }
            }
        #endif
        #ifdef FX_OPEN_REPORTS_ALLOCATOR
            {
                /* Freeing a block mapped on its own raises glibc's moving threshold past its size. */
                char *large = malloc(8 << 20);
                if (large) { large[0] = 1; free(large); }
                const char *report = getenv("FX_ALLOCATOR_REPORT");
                FILE *file = report ? fopen(report, "w") : NULL;
                const size_t sizes[] = {6 << 20, 2 << 20};
                const char *const names[] = {"6 MiB", "2 MiB"};
                for (int index = 0; index < 2; index++) {
                    struct mallinfo2 before = mallinfo2();
                    char *block = malloc(sizes[index]);
                    struct mallinfo2 after = mallinfo2();
                    if (file) fprintf(file, "%s mapped on its own: %s\n", names[index], after.hblks > before.hblks ? "yes" : "no");
                    free(block);
                }
                if (file) fclose(file);
            }
        #endif
        #ifdef FX_OPEN_CRASHES
            const char *secret = getenv("FX_SECRET");
        #if defined(__x86_64__)
            __asm__ volatile("mov %0, %%rbx\n\tmov %0, %%r12\n\tmov %0, %%r13\n\tmov %0, %%r14\n\tmov %0, %%r15"
                             :: "r"(secret) : "rbx", "r12", "r13", "r14", "r15");
        #else
            (void)secret;
        #endif
            *(volatile int *)0 = 1;
        #endif
            *out = (ferry_instance *)malloc(1);
            return FERRY_OK;
        }
        static void fx_close(ferry_instance *instance) { free(instance); }
        static ferry_status fx_discover(ferry_instance *i, ferry_buffer *out, ferry_error *err) { (void)i; return fx_spec(out, err); }
        static ferry_status fx_read_open(ferry_instance *i, ferry_str rq, ferry_reader **out, ferry_error *err) {
            (void)i; (void)rq; (void)err; *out = (ferry_reader *)malloc(1); return FERRY_OK;
        }
        static ferry_status fx_read_next(ferry_reader *r, ferry_batch *out, ferry_error *err) { (void)r; (void)out; (void)err; return FERRY_END; }
        static void fx_read_close(ferry_reader *r) { free(r); }
        #ifndef FX_NO_WRITE
        static ferry_status fx_write(ferry_instance *i, ferry_str rq, ferry_str records, ferry_write_result *out, ferry_error *err) {
            (void)i; (void)rq; (void)records; (void)err;
            memset(out, 0, sizeof *out); out->struct_size = sizeof *out; return FERRY_OK;
        }
        #endif

        static ferry_plugin_api api = {
            .struct_size = sizeof(ferry_plugin_api),
            .spec = fx_spec, .open = fx_open, .close = fx_close,
            .discover = fx_discover, .read_open = fx_read_open, .read_next = fx_read_next, .read_close = fx_read_close,
        #ifndef FX_NO_WRITE
            .write = fx_write,
        #endif
        };

        static ferry_status fx_init(uint32_t host_minor, const ferry_plugin_api **out, ferry_error *err) {
        #ifdef FX_NEEDS_DEP
            if (ferry_fixture_dep() != 42) return FERRY_ERR_INTERNAL;
        #endif
        #ifdef FX_UNDEFINED
            if (ferry_fixture_nowhere() != 42) return FERRY_ERR_INTERNAL;
        #endif
        #ifdef FX_INIT_FAILS
            static const char text[] = "no licence key in FX_LICENCE";
            char *copy = malloc(sizeof text - 1);
            memcpy(copy, text, sizeof text - 1);
            err->status = FERRY_ERR_INVALID;
            err->message.ptr = copy; err->message.len = sizeof text - 1;
            err->message.private_data = copy; err->message.release = free_buffer;
            (void)host_minor; (void)out;
            return FERRY_ERR_INVALID;
        #else
            (void)err;
            uint32_t mine = FX_MINOR;
            api.abi_minor = host_minor < mine ? host_minor : mine;
            *out = &api;
            return FERRY_OK;
        #endif
        }

        static const ferry_plugin_descriptor descriptor = {
            .struct_size = sizeof(ferry_plugin_descriptor),
            .abi_major = FX_MAJOR, .abi_minor = FX_MINOR, .capabilities = FX_CAPS,
            .name = FX_NAME, .version = "0.1.0", .runtime = FX_RUNTIME,
            .description = "A loader test fixture.", .init = fx_init,
        };

        #ifndef FX_NO_ENTRY
        FERRY_EXPORT const ferry_plugin_descriptor *ferry_plugin_v1(void) { return &descriptor; }
        #else
        FERRY_EXPORT const ferry_plugin_descriptor *some_other_entry(void) { return &descriptor; }
        #endif
        """#

    /// The library `FX_NEEDS_DEP` links against; the test deletes it afterwards.
    static let dependency = #"""
        __attribute__((visibility("default"))) int ferry_fixture_dep(void) { return 42; }
        """#
}
