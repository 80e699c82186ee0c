// libcurl. curl_easy_setopt/getinfo are variadic, which Swift cannot call, so these
// typed wrappers fix the argument type per call.
#include <curl/curl.h>

static inline CURLcode pictor_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode pictor_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode pictor_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode pictor_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
typedef size_t (*pictor_curl_callback)(char *data, size_t size, size_t count, void *context);
static inline CURLcode pictor_curl_setopt_callback(CURL *handle, CURLoption option, pictor_curl_callback value) {
    return curl_easy_setopt(handle, option, value);
}
static inline CURLcode pictor_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
