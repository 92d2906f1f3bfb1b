#include "runtime/inference_worker.h"

#include "scheduling/analysis_schedule.h"

namespace refseg {

InferenceWorker::InferenceWorker(std::function<void()> setup)
    : thread_([this, setup = std::move(setup)] { loop(setup); }) {}

InferenceWorker::~InferenceWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void InferenceWorker::post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
}

void InferenceWorker::loop(std::function<void()> setup) {
  // Before setup creates LibTorch's thread pool, which inherits it.
  scheduling::lower_current_thread_priority();
  if (setup) setup();
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, and every posted job has run
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace refseg
