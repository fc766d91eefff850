#pragma once
// Decodes and preprocesses the next batches of images on a background thread
// while the model works on the current one. At most `depth` batches wait in
// memory, so memory stays bounded whatever the dataset size.
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>

#include "clipscope/base/ndarray.h"

namespace clipscope {

class BatchPrefetcher {
public:
    // load(first, count) produces the pixels of images [first, first+count).
    BatchPrefetcher(std::function<FloatArray(int64_t, int64_t)> load, int64_t begin, int64_t end, int64_t batch,
                    size_t depth = 2);
    ~BatchPrefetcher();
    BatchPrefetcher(const BatchPrefetcher&) = delete;
    BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;
    // The next batch in order; rethrows a loading error (naming the file) on the caller's thread.
    FloatArray next();

private:
    void run();
    std::function<FloatArray(int64_t, int64_t)> load_;
    int64_t next_, end_, batch_;
    size_t depth_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<FloatArray> ready_;
    std::exception_ptr error_;
    bool stop_ = false;
    std::thread worker_;
};

}  // namespace clipscope
