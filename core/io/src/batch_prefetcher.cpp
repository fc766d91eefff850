#include "clipscope/io/batch_prefetcher.h"

#include "clipscope/base/error.h"

namespace clipscope {

BatchPrefetcher::BatchPrefetcher(std::function<FloatArray(int64_t, int64_t)> load, int64_t begin, int64_t end,
                                 int64_t batch, size_t depth)
    : load_(std::move(load)), next_(begin), end_(end), batch_(batch), depth_(depth), worker_([this] { run(); }) {}

BatchPrefetcher::~BatchPrefetcher() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    changed_.notify_all();
    worker_.join();
}

void BatchPrefetcher::run() {
    while (true) {
        int64_t first = 0, count = 0;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            changed_.wait(lock, [&] { return stop_ || ready_.size() < depth_; });
            if (stop_ || next_ >= end_ || error_) return;
            first = next_;
            count = std::min(batch_, end_ - next_);
            next_ += count;
        }
        try {
            FloatArray pixels = load_(first, count);
            std::lock_guard<std::mutex> lock(mutex_);
            ready_.push_back(std::move(pixels));
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            error_ = std::current_exception();
        }
        changed_.notify_all();
    }
}

FloatArray BatchPrefetcher::next() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !ready_.empty() || error_; });
    if (ready_.empty()) std::rethrow_exception(error_);
    FloatArray pixels = std::move(ready_.front());
    ready_.pop_front();
    lock.unlock();
    changed_.notify_all();
    return pixels;
}

}  // namespace clipscope
