// RunProcess (see exec_process.h): posix_spawn with POSIX_SPAWN_SETSID, three pipes and
// one poll loop with a short tick for the timeout and the stop token.
#include "worker/exec_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/fd.h"

namespace sweep::worker {
namespace {

using SteadyClock = std::chrono::steady_clock;

// What the poll loop tracks of one running child.
class Child {
 public:
  Child(const ProcessSpec& spec, const std::function<absl::Status(std::string_view)>& on_line)
      : spec_(spec), on_line_(on_line) {}

  absl::Status Spawn();
  // One poll round; a non-OK status ends the run (the caller kills the group).
  absl::Status Step();
  bool Done() const { return reaped_ && out_.fd < 0 && err_.fd < 0; }
  void KillGroup() {
    if (pid_ > 0) ::kill(-pid_, SIGKILL);
  }
  void Reap();  // waits for the leader (after KillGroup, promptly)
  void Fill(ProcessOutcome& outcome) const;

 private:
  absl::Status ReadStdout();
  void ReadStderr();
  void WriteStdin();
  absl::Status FlushLines(bool at_eof);

  const ProcessSpec& spec_;
  const std::function<absl::Status(std::string_view)>& on_line_;
  Fd in_, out_, err_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int wait_status_ = 0;
  size_t written_ = 0;
  std::string line_;  // stdout not yet ended by a newline
  std::string tail_;
  int64_t stdout_bytes_ = 0;
};

absl::Status Child::Spawn() {
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  Fd in_read{in_pipe[0]};
  in_.fd = in_pipe[1];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  Fd out_write{out_pipe[1]};
  out_.fd = out_pipe[0];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  Fd err_write{err_pipe[1]};
  err_.fd = err_pipe[0];

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.fd, STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);  // no worker socket or file leaks
  if (!spec_.workdir.empty()) posix_spawn_file_actions_addchdir_np(&actions, spec_.workdir.c_str());
  // A session of its own (so its group can be killed whole), no blocked signals, and the
  // default disposition of the signals the worker ignores or catches.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  sigset_t none, defaults;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigdefault(&attr, &defaults);

  std::string path = spec_.path;
  std::vector<char*> argv = {path.data(), nullptr};
  std::vector<std::string> env = spec_.env;
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, path.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    pid_ = -1;
    reaped_ = true;
    const std::string why = std::strerror(rc);
    if (rc == ENOENT) return absl::NotFoundError(absl::StrCat(spec_.path, ": ", why));
    return absl::InternalError(absl::StrCat("cannot start ", spec_.path, ": ", why));
  }
  for (int fd : {in_.fd, out_.fd, err_.fd}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (spec_.stdin_text.empty()) in_.Close();
  return absl::OkStatus();
}

void Child::WriteStdin() {
  const ssize_t n =
      ::write(in_.fd, spec_.stdin_text.data() + written_, spec_.stdin_text.size() - written_);
  if (n > 0) written_ += static_cast<size_t>(n);
  // EPIPE: the program does not read its stdin; that is its business.
  if ((n < 0 && errno != EAGAIN && errno != EINTR) || written_ == spec_.stdin_text.size()) {
    in_.Close();
  }
}

absl::Status Child::FlushLines(bool at_eof) {
  size_t start = 0;
  for (size_t nl; (nl = line_.find('\n', start)) != std::string::npos; start = nl + 1) {
    absl::Status s = on_line_(std::string_view(line_).substr(start, nl - start));
    if (!s.ok()) return s;
  }
  line_.erase(0, start);
  if (line_.size() > spec_.max_line_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("stdout: a line longer than ", spec_.max_line_bytes, " bytes"));
  }
  if (at_eof && !line_.empty()) {
    std::string last = std::move(line_);
    line_.clear();
    return on_line_(last);
  }
  return absl::OkStatus();
}

absl::Status Child::ReadStdout() {
  char buf[65536];
  const ssize_t n = ::read(out_.fd, buf, sizeof(buf));
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return absl::OkStatus();
    out_.Close();
    return FlushLines(/*at_eof=*/true);
  }
  if (n == 0) {
    out_.Close();
    return FlushLines(/*at_eof=*/true);
  }
  stdout_bytes_ += n;
  if (static_cast<size_t>(stdout_bytes_) > spec_.max_stdout_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrCat("stdout: more than ", spec_.max_stdout_bytes, " bytes"));
  }
  line_.append(buf, static_cast<size_t>(n));
  return FlushLines(/*at_eof=*/false);
}

void Child::ReadStderr() {
  char buf[65536];
  const ssize_t n = ::read(err_.fd, buf, sizeof(buf));
  if (n > 0) {
    tail_.append(buf, static_cast<size_t>(n));
    if (tail_.size() > spec_.stderr_tail_bytes)
      tail_.erase(0, tail_.size() - spec_.stderr_tail_bytes);
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    err_.Close();
  }
}

absl::Status Child::Step() {
  pollfd fds[3] = {{out_.fd, POLLIN, 0}, {err_.fd, POLLIN, 0}, {in_.fd, POLLOUT, 0}};
  // The tick bounds how late a timeout, a stop or the leader's exit is noticed.
  if (::poll(fds, 3, 50) < 0 && errno != EINTR) return absl::InternalError("poll failed");
  if (in_.fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) WriteStdin();
  if (out_.fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
    if (absl::Status s = ReadStdout(); !s.ok()) return s;
  }
  if (err_.fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) ReadStderr();
  siginfo_t info{};
  if (!reaped_ && ::waitid(P_PID, pid_, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
      info.si_pid == pid_) {
    // Whatever the program left running in its group would hold the pipes open (and
    // outlive the job): it goes with the leader. Killed before the leader is reaped, so
    // its pid (the group's id) cannot have been reused.
    ::kill(-pid_, SIGKILL);
    while (::waitpid(pid_, &wait_status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    in_.Close();
  }
  return absl::OkStatus();
}

void Child::Reap() {
  in_.Close();
  out_.Close();
  err_.Close();
  if (reaped_ || pid_ <= 0) return;
  while (::waitpid(pid_, &wait_status_, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
}

void Child::Fill(ProcessOutcome& outcome) const {
  outcome.stderr_tail = tail_;
  outcome.stdout_bytes = stdout_bytes_;
  if (pid_ <= 0) return;
  if (WIFEXITED(wait_status_)) {
    outcome.exit_code = WEXITSTATUS(wait_status_);
  } else if (WIFSIGNALED(wait_status_)) {
    outcome.exit_code = -1;
    outcome.term_signal = WTERMSIG(wait_status_);
  }
}

}  // namespace

ProcessOutcome RunProcess(const ProcessSpec& spec, std::stop_token stop,
                          const std::function<absl::Status(std::string_view line)>& on_line) {
  ProcessOutcome outcome;
  Child child(spec, on_line);
  outcome.status = child.Spawn();
  if (!outcome.status.ok()) return outcome;
  // A program that exits before reading its stdin must not kill this process with
  // SIGPIPE (`sweep local` and tests do not ignore it): block the signal in this thread
  // while the child runs and drop one that became pending.
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  const auto deadline = SteadyClock::now() + spec.timeout;
  while (!child.Done()) {
    absl::Status s = child.Step();
    if (s.ok() && stop.stop_requested()) s = absl::CancelledError("stopped");
    if (s.ok() && SteadyClock::now() >= deadline) {
      s = absl::DeadlineExceededError(
          absl::StrCat("timed out after ", spec.timeout.count() / 1000.0, " s"));
    }
    if (!s.ok()) {
      child.KillGroup();
      outcome.status = s;
      break;
    }
  }
  const timespec zero{0, 0};
  while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  child.Reap();
  child.Fill(outcome);
  return outcome;
}

}  // namespace sweep::worker
