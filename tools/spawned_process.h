// A child program (a broker, a process that keeps a core busy) started
// with posix_spawn, for the tests and benchmarks that need one beside a
// running pipeline.
//
// Not fork(): fork() in a process whose libraries already run threads calls
// their pthread_atfork handlers, and OpenBLAS's (0.3.21, Debian 12) joins
// its worker threads there and can wait forever for one of them. glibc's
// posix_spawn starts the child with clone(CLONE_VFORK) and runs no atfork
// handler.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

extern char **environ;

namespace refseg {

class SpawnedProcess {
 public:
  SpawnedProcess() = default;
  // Runs argv[0] (looked up in PATH) with its standard output and error
  // appended to `output`; `stop_signal` is what the destructor sends.
  // started() says whether it ran; error() why not.
  explicit SpawnedProcess(const std::vector<std::string> &argv,
                          const std::string &output = "/dev/null", int stop_signal = SIGKILL)
      : stop_signal_(stop_signal) {
    std::vector<char *> args;
    for (const std::string &a : argv) args.push_back(const_cast<char *>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, output.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      pid_ = -1;
      error_ = argv[0] + ": " + std::strerror(rc);
    }
  }
  ~SpawnedProcess() { stop(stop_signal_); }
  SpawnedProcess(SpawnedProcess &&other) noexcept { *this = std::move(other); }
  SpawnedProcess &operator=(SpawnedProcess &&other) noexcept {
    if (this != &other) {
      stop(stop_signal_);
      pid_ = other.pid_;
      stop_signal_ = other.stop_signal_;
      error_ = std::move(other.error_);
      other.pid_ = -1;
    }
    return *this;
  }
  SpawnedProcess(const SpawnedProcess &) = delete;
  SpawnedProcess &operator=(const SpawnedProcess &) = delete;

  bool started() const { return pid_ > 0; }
  const std::string &error() const { return error_; }

  // Sends `sig` and waits for the child to end. SIGKILL (the default)
  // makes it vanish without closing anything cleanly.
  void stop(int sig = SIGKILL) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int stop_signal_ = SIGKILL;
  std::string error_;
};

// A child that keeps one core busy until it is stopped, or for `seconds`
// should whoever started it die first. It is stopped with SIGTERM, which
// timeout passes on to the loop (a SIGKILL would end timeout alone).
inline SpawnedProcess busy_core(int seconds) {
  return SpawnedProcess(
      {"timeout", "-s", "KILL", std::to_string(seconds), "sh", "-c", "while :; do :; done"},
      "/dev/null", SIGTERM);
}

}  // namespace refseg
