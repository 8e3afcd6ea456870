// RunProgram (see subprocess.h): posix_spawnp with three pipes, served by one poll loop
// so that no side blocks on a full pipe.
#include "client/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/fd.h"

extern char** environ;

namespace sweep::client {
namespace {

// Reads what is ready on `fd` into `text`; closes `fd` at end of file or on an error.
void Drain(Fd& fd, std::string& text) {
  char buf[4096];
  const ssize_t n = ::read(fd.fd, buf, sizeof(buf));
  if (n > 0) {
    text.append(buf, static_cast<size_t>(n));
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    fd.Close();
  }
}

// Writes `input` to `in` while collecting `out` and `err` until both reach end of file.
void Exchange(Fd& in, Fd& out, Fd& err, const std::string& input, ProgramOutput& result) {
  size_t written = 0;
  if (input.empty()) in.Close();
  if (in.fd >= 0) fcntl(in.fd, F_SETFL, fcntl(in.fd, F_GETFL) | O_NONBLOCK);
  while (out.fd >= 0 || err.fd >= 0) {
    pollfd fds[3] = {{out.fd, POLLIN, 0}, {err.fd, POLLIN, 0}, {in.fd, POLLOUT, 0}};
    if (::poll(fds, 3, -1) < 0) {  // negative fds are ignored by poll
      if (errno == EINTR) continue;
      break;
    }
    if (in.fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(in.fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) in.Close();
    }
    if (out.fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) Drain(out, result.out);
    if (err.fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) Drain(err, result.err);
  }
  in.Close();
}

}  // namespace

absl::StatusOr<ProgramOutput> RunProgram(const std::vector<std::string>& argv,
                                         const std::string& input) {
  if (argv.empty()) return absl::InvalidArgumentError("RunProgram: empty argv");
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  Fd in_read{in_pipe[0]}, in{in_pipe[1]};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  Fd out{out_pipe[0]}, out_write{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  Fd err{err_pipe[0]}, err_write{err_pipe[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.fd, STDERR_FILENO);
  std::vector<std::string> args = argv;
  std::vector<char*> c_args;
  for (std::string& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, c_args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  in_read.Close();
  out_write.Close();
  err_write.Close();
  if (rc == ENOENT) return absl::NotFoundError(absl::StrCat(argv[0], ": not found on PATH"));
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("cannot start ", argv[0], ": ", std::strerror(rc)));
  }
  // A program that exits before reading its stdin must not kill this process with
  // SIGPIPE: block the signal in this thread while writing and drop one that became pending.
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  ProgramOutput result;
  Exchange(in, out, err, input, result);
  const timespec zero{0, 0};
  while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace sweep::client
