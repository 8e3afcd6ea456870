// Running gnuplot (see gnuplot.h): posix_spawnp with the script on a pipe to its stdin and
// its stderr captured, so that a failure reports gnuplot's own message.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/fd.h"
#include "client/gnuplot.h"

extern char** environ;

namespace sweep::client {
namespace {

// Writes the script to `in` and reads gnuplot's stderr from `err` at the same time, so
// that neither side blocks on a full pipe. A gnuplot that exits early (EPIPE) ends the
// writing; its exit status and messages tell what happened.
void Exchange(Fd& in, Fd& err, const std::string& script, std::string* messages) {
  size_t written = 0;
  fcntl(in.fd, F_SETFL, fcntl(in.fd, F_GETFL) | O_NONBLOCK);
  while (err.fd >= 0) {
    pollfd fds[2] = {{err.fd, POLLIN, 0}, {in.fd, POLLOUT, 0}};
    const nfds_t count = in.fd >= 0 ? 2 : 1;
    if (::poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (count == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(in.fd, script.data() + written, script.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == script.size()) in.Close();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      const ssize_t n = ::read(err.fd, buf, sizeof(buf));
      if (n > 0) {
        messages->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        err.Close();
      }
    }
  }
  in.Close();
}

}  // namespace

absl::Status RunGnuplot(const std::string& script, const std::string& program) {
  int in_pipe[2], err_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  Fd in_read{in_pipe[0]}, in{in_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return absl::InternalError("pipe failed");
  Fd err{err_pipe[0]}, err_write{err_pipe[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read.fd, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write.fd, STDERR_FILENO);
  std::string name = program;
  char* argv[] = {name.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  in_read.Close();
  err_write.Close();
  if (rc == ENOENT) {
    return absl::FailedPreconditionError(
        absl::StrCat("\"", program,
                     "\" not found on PATH: sweep plot draws with gnuplot; install it "
                     "(Debian: apt-get install gnuplot-nox)"));
  }
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("cannot start ", program, ": ", std::strerror(rc)));
  }
  // A gnuplot that dies early must not kill this process with SIGPIPE: block the signal
  // in this thread while writing and drop one that became pending.
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  std::string messages;
  Exchange(in, err, script, &messages);
  const timespec zero{0, 0};
  while (sigtimedwait(&pipe_set, nullptr, &zero) > 0) {
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string text(absl::StripTrailingAsciiWhitespace(messages));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(
        absl::StrCat(program, " failed (", WIFEXITED(status) ? "exit status " : "signal ",
                     WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), ")",
                     text.empty() ? "" : ": ", text));
  }
  return absl::OkStatus();
}

}  // namespace sweep::client
