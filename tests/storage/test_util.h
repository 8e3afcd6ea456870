// Helpers for storage and coordinator tests: a fresh temporary directory per test, jobs
// with hand-written canonical JSON, and reports with chosen metrics.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/records.h"
#include "common/status.h"
#include "gtest/gtest.h"
#include "storage/store.h"

namespace sweep::testing {

// A directory under TEST_TMPDIR (or /tmp) removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TEST_TMPDIR");
    std::string tmpl = absl::StrCat(base != nullptr ? base : "/tmp", "/sweep-test-XXXXXX");
    SWEEP_CHECK(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A job whose canonical JSON is `json`; its hash is derived from it, so equal JSON means
// equal cell (as with the real registry).
inline storage::PreparedJob Job(const std::string& json, const std::string& model = "krr") {
  return storage::PreparedJob{json, absl::StrCat("hash:", json), absl::StrCat("train:", json),
                              model};
}

inline NewSweep Meta(const std::string& request_id, bool use_cache = true, int max_attempts = 3) {
  NewSweep s;
  s.request_id = request_id;
  s.name = "test-" + request_id;
  s.spec_text = "name: test";
  s.use_cache = use_cache;
  s.max_attempts = max_attempts;
  return s;
}

// A successful report with the given headline metrics and a two-point curve.
inline JobReport OkReport(const std::string& worker, double mse, double nmse) {
  JobReport r;
  r.worker_id = worker;
  r.build_version = "test-build";
  r.wall_seconds = 1.5;
  r.result.mse = mse;
  r.result.nmse = nmse;
  r.result.ey2 = mse / nmse;
  r.result.ie = 2;
  r.result.ge = 2;
  r.result.curve = {EvalPoint{0, 2 * mse, 0.1, 2 * nmse}, EvalPoint{16, mse, 0.05, nmse}};
  r.result.loss_curve = {LossPoint{0, 1.0}, LossPoint{50, 0.5}};
  return r;
}

}  // namespace sweep::testing
