// One thread that runs inference jobs in submission order.
//
// LibTorch's intra-op pool is per calling thread (each OpenMP master gets
// its own team), so running every job of a model on one long-lived thread
// keeps exactly `threads` cores busy however many streaming threads call in.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <type_traits>

namespace refseg {

class InferenceWorker {
 public:
  // `setup` runs first on the worker thread (e.g. to set its thread count).
  explicit InferenceWorker(std::function<void()> setup = {});
  ~InferenceWorker();
  InferenceWorker(const InferenceWorker &) = delete;
  InferenceWorker &operator=(const InferenceWorker &) = delete;

  // Runs `job` on the worker and returns its result (or rethrows its
  // exception) in the calling thread.
  template <class Job>
  std::invoke_result_t<Job> run(Job &&job) {
    std::packaged_task<std::invoke_result_t<Job>()> task(std::forward<Job>(job));
    auto result = task.get_future();
    post([&task] { task(); });  // task outlives the job: we wait below
    return result.get();
  }
  // Queues `job` without waiting for it (it must not throw).
  void post(std::function<void()> job);

 private:
  void loop(std::function<void()> setup);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace refseg
