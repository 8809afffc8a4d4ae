/* libcurl for Swift: curl_easy_setopt and curl_easy_getinfo are variadic, which
 * Swift cannot call, so these typed inline wrappers fix one argument type each. */
#include <curl/curl.h>

static inline CURLcode ferry_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ferry_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ferry_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ferry_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
typedef size_t (*ferry_curl_data_callback)(char *data, size_t size, size_t count, void *context);
static inline CURLcode ferry_curl_setopt_callback(CURL *handle, CURLoption option, ferry_curl_data_callback value) {
    return curl_easy_setopt(handle, option, value);
}
typedef int (*ferry_curl_progress_callback)(void *context, curl_off_t download_total, curl_off_t downloaded,
                                            curl_off_t upload_total, curl_off_t uploaded);
static inline CURLcode ferry_curl_setopt_progress(CURL *handle, ferry_curl_progress_callback value) {
    return curl_easy_setopt(handle, CURLOPT_XFERINFOFUNCTION, value);
}
static inline CURLcode ferry_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode ferry_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
