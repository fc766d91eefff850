#include "http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>

#include "clipscope/base/error.h"

namespace clipscope::http {
namespace {

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
    Response response;
    std::function<bool()> keep_going;
    const std::function<bool(long, const char*, size_t)>* sink = nullptr;
    long current_status = 0;  // of the answer being received (redirects included)
    size_t max_bytes = 0;
    bool over_limit = false;
    bool sink_refused = false;
    bool cancelled = false;
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::string line(data, size * count);
    // A new status line (after a redirect or "100 Continue") starts a fresh header set.
    if (line.rfind("HTTP/", 0) == 0) {
        t->response.headers.clear();
        const auto space = line.find(' ');
        t->current_status = space == std::string::npos ? 0 : std::atol(line.c_str() + space + 1);
    }
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string value = line.substr(colon + 1);
        const auto b = value.find_first_not_of(" \t");
        const auto e = value.find_last_not_of(" \t\r\n");
        t->response.headers[name] = b == std::string::npos ? std::string() : value.substr(b, e - b + 1);
    }
    return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    if (t->sink) {
        if (!(*t->sink)(t->current_status, data, n)) {
            t->sink_refused = true;
            return 0;  // makes curl stop with CURLE_WRITE_ERROR
        }
        return n;
    }
    if (t->response.body.size() + n > t->max_bytes) {
        t->over_limit = true;
        return 0;
    }
    t->response.body.append(data, n);
    return n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    if (t->keep_going && !t->keep_going()) {
        t->cancelled = true;
        return 1;
    }
    return 0;
}

Response perform(const std::string& url, const Options& options, bool head_only, Transfer& t) {
    global_init();
    t.keep_going = options.keep_going;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) throw Error(ErrorKind::Internal, "libcurl could not create a transfer");
    curl_slist* list = nullptr;
    for (const auto& h : options.headers) list = curl_slist_append(list, h.c_str());
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(list, &curl_slist_free_all);
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "clipscope (libcurl)");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_seconds);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options.stall_timeout_seconds);
    if (options.total_timeout_seconds > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT, options.total_timeout_seconds);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, options.follow_redirects ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    // Only http(s), also after redirects: a hostile Location must not reach file:// or others.
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOBODY, head_only ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, &on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    char error_text[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_text);
    const CURLcode code = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.response.status);
    char* effective = nullptr;
    curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &effective);
    t.response.url = effective ? effective : url;
    if (t.cancelled) throw Error(ErrorKind::Cancelled, url + ": download cancelled");
    if (t.over_limit)
        throw Error(ErrorKind::Network, url + ": response larger than " + std::to_string(t.max_bytes) + " bytes");
    if (t.sink_refused) throw Error(ErrorKind::Network, url + ": the download could not be written to disk");
    if (code != CURLE_OK) {
        const std::string what = error_text[0] ? error_text : curl_easy_strerror(code);
        throw Error(ErrorKind::Network, url + ": " + what);
    }
    return t.response;
}

}  // namespace

Response head(const std::string& url, const Options& options) {
    Transfer t;
    return perform(url, options, true, t);
}

Response get_text(const std::string& url, const Options& options, size_t max_bytes) {
    Transfer t;
    t.max_bytes = max_bytes;
    return perform(url, options, false, t);
}

Response get_stream(const std::string& url, const Options& options,
                    const std::function<bool(long, const char*, size_t)>& sink) {
    Transfer t;
    t.sink = &sink;
    return perform(url, options, false, t);
}

std::string origin_of(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return "";
    const auto host_end = url.find_first_of("/?#", scheme_end + 3);
    std::string origin = url.substr(0, host_end);
    std::transform(origin.begin(), origin.end(), origin.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return origin;
}

std::string percent_encode(const std::string& text, const std::string& keep) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
            keep.find(static_cast<char>(c)) != std::string::npos) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace clipscope::http
