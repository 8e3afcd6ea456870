// Fd: a file descriptor closed once, at the latest when it goes out of scope (pipes to
// child processes are closed early to signal end of file). Used by the code that runs
// gnuplot and sbatch, and exec jobs (worker/exec_process.h).
#pragma once

#include <unistd.h>

namespace sweep {

struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace sweep
