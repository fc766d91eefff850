#pragma once
// A small blocking HTTP(S) client over libcurl for the hub downloader: HEAD
// without following redirects (the hub's metadata lives in the redirect), and
// streamed GETs that can be cancelled and resumed. Private to core.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace clipscope::http {

struct Response {
    long status = 0;
    std::map<std::string, std::string> headers;  // lower-case names; the last value wins
    std::string body;                            // only for get_text
    std::string url;                             // the URL that answered (after redirects)
    std::string header(const std::string& lower_name) const {
        const auto it = headers.find(lower_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

struct Options {
    std::vector<std::string> headers;  // "Name: value"
    long connect_timeout_seconds = 10;
    long stall_timeout_seconds = 10;  // abort when no byte arrives for this long
    bool follow_redirects = false;
    long total_timeout_seconds = 0;    // 0 = none (large downloads); set for metadata requests
    std::function<bool()> keep_going;  // polled during the transfer; false cancels it
};

Response head(const std::string& url, const Options& options);
Response get_text(const std::string& url, const Options& options, size_t max_bytes);

// Streams the body into sink(status, data, n), status being the HTTP status of
// the answer the bytes belong to (return false to stop with an error).
// A transfer cut short (connection closed early, stall, cancel) throws
// Error(Network) or Error(Cancelled); what sink received so far stays received.
Response get_stream(const std::string& url, const Options& options,
                    const std::function<bool(long, const char*, size_t)>& sink);

// "https://host:port" part of a URL, lower-cased host (for the same-host checks of redirects).
std::string origin_of(const std::string& url);
// Percent-encodes every byte except unreserved ones and those in `keep`.
std::string percent_encode(const std::string& text, const std::string& keep);

}  // namespace clipscope::http
