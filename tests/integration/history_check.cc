// CheckHistory (see history_check.h): three read-only passes over one snapshot, the
// attempts, the events and the results of the sweep's jobs.
#include "tests/integration/history_check.h"

#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"

namespace sweep::integration {
namespace {

struct DbClose {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct StmtFinalize {
  void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
};
using Db = std::unique_ptr<sqlite3, DbClose>;
using Stmt = std::unique_ptr<sqlite3_stmt, StmtFinalize>;

std::string Text(sqlite3_stmt* st, int col) {
  const unsigned char* t = sqlite3_column_text(st, col);
  return t ? reinterpret_cast<const char*>(t) : "";
}

absl::StatusOr<Stmt> Prepare(sqlite3* db, const char* sql, int64_t sweep_id) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return absl::InternalError(absl::StrCat("history check: ", sqlite3_errmsg(db)));
  }
  Stmt st(raw);
  sqlite3_bind_int64(raw, 1, sweep_id);
  return st;
}

struct Attempt {
  std::string worker, outcome, digest;
};
struct Event {
  int64_t attempt = 0;  // 0: NULL
  std::string kind, worker;
};
struct JobHistory {
  int64_t attempt = 0;  // jobs.attempt
  std::string state;
  std::map<int64_t, Attempt> attempts;
  std::vector<Event> events;
  int64_t results = 0, result_attempt = 0;
  std::string result_digest;
};

// Replays one job's events through the state machine; appends what breaks it.
void Replay(int64_t job, const JobHistory& h, std::vector<std::string>& broken,
            int64_t& successes) {
  int64_t held = 0, last = 0;
  std::string holder;
  bool done = false;
  for (const Event& e : h.events) {
    const std::string at = absl::StrCat("job ", job, ": ", e.kind, "(", e.attempt, ")");
    if (e.kind == "checkpoint_stored") continue;
    if (done) {
      broken.push_back(at + " after the job succeeded");
    } else if (e.kind == "leased") {
      if (held != 0) broken.push_back(at + " while attempt " + std::to_string(held) + " held");
      if (e.attempt != last + 1)
        broken.push_back(at + " skips from attempt " + std::to_string(last));
      held = last = e.attempt;
      holder = e.worker;
    } else if (e.kind == "requeued" || e.kind == "released" || e.kind == "succeeded") {
      if (held == 0 || e.attempt != held) {
        broken.push_back(at + " from a lease that is not current (held: " + std::to_string(held) +
                         ")");
      }
      if (e.kind == "succeeded") {
        ++successes;
        done = true;
        if (e.worker != holder)
          broken.push_back(at + " reported by " + e.worker + ", leased to " + holder);
      }
      held = 0;
    } else {
      broken.push_back(at + ": unexpected event");
    }
  }
}

}  // namespace

std::string HistoryReport::Summary() const {
  return absl::StrCat("jobs ", jobs, ": exactly once ", exactly_once, ", lost ", lost,
                      ", duplicated ", duplicated, ", unexpected ", unexpected, "; attempts ",
                      attempts, " (expired ", expired, ", released ", released, ")");
}

absl::StatusOr<HistoryReport> CheckHistory(const std::string& db_path, int64_t sweep_id) {
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    Db close(raw);
    return absl::UnavailableError(absl::StrCat("history check: cannot open ", db_path));
  }
  Db db(raw);
  sqlite3_busy_timeout(raw, 5000);
  sqlite3_exec(raw, "BEGIN", nullptr, nullptr, nullptr);  // one snapshot for every pass

  std::map<int64_t, JobHistory> jobs;
  {
    auto st = Prepare(raw, "SELECT job_id, attempt, state FROM jobs WHERE sweep_id = ?1", sweep_id);
    if (!st.ok()) return st.status();
    while (sqlite3_step(st->get()) == SQLITE_ROW) {
      JobHistory& h = jobs[sqlite3_column_int64(st->get(), 0)];
      h.attempt = sqlite3_column_int64(st->get(), 1);
      h.state = Text(st->get(), 2);
    }
  }
  HistoryReport r;
  r.jobs = static_cast<int64_t>(jobs.size());
  std::set<int64_t> unexpected;
  const auto note = [&](int64_t job, std::string what) {
    unexpected.insert(job);
    if (r.violations.size() < 50) r.violations.push_back(std::move(what));
  };
  {
    auto st = Prepare(raw,
                      "SELECT a.job_id, a.attempt, a.worker_id, a.outcome, coalesce(a.digest, '')"
                      " FROM attempts a JOIN jobs j ON j.job_id = a.job_id"
                      " WHERE j.sweep_id = ?1 ORDER BY a.job_id, a.attempt",
                      sweep_id);
    if (!st.ok()) return st.status();
    while (sqlite3_step(st->get()) == SQLITE_ROW) {
      jobs[sqlite3_column_int64(st->get(), 0)].attempts[sqlite3_column_int64(st->get(), 1)] = {
          Text(st->get(), 2), Text(st->get(), 3), Text(st->get(), 4)};
    }
  }
  {
    // Job events of the sweep, and events naming a job the sweep does not have.
    auto st = Prepare(raw,
                      "SELECT job_id, coalesce(attempt, 0), kind, coalesce(worker_id, '')"
                      " FROM events WHERE sweep_id = ?1 AND job_id IS NOT NULL ORDER BY event_id",
                      sweep_id);
    if (!st.ok()) return st.status();
    while (sqlite3_step(st->get()) == SQLITE_ROW) {
      const int64_t job = sqlite3_column_int64(st->get(), 0);
      auto it = jobs.find(job);
      if (it == jobs.end()) {
        note(job, absl::StrCat("event for job ", job, ", which is not in sweep ", sweep_id));
        continue;
      }
      it->second.events.push_back(
          {sqlite3_column_int64(st->get(), 1), Text(st->get(), 2), Text(st->get(), 3)});
    }
  }
  {
    auto st = Prepare(raw,
                      "SELECT r.job_id, r.attempt, coalesce(r.digest, '') FROM results r"
                      " JOIN jobs j ON j.job_id = r.job_id WHERE j.sweep_id = ?1",
                      sweep_id);
    if (!st.ok()) return st.status();
    while (sqlite3_step(st->get()) == SQLITE_ROW) {
      JobHistory& h = jobs[sqlite3_column_int64(st->get(), 0)];
      ++h.results;
      h.result_attempt = sqlite3_column_int64(st->get(), 1);
      h.result_digest = Text(st->get(), 2);
    }
  }
  sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);

  for (const auto& [job, h] : jobs) {
    std::vector<std::string> broken;
    int64_t event_successes = 0;
    Replay(job, h, broken, event_successes);
    int64_t attempt_successes = 0, succeeded_attempt = 0;
    int64_t expected = 1;
    for (const auto& [a, row] : h.attempts) {
      ++r.attempts;
      if (a != expected)
        broken.push_back(absl::StrCat("job ", job, ": attempt ", a, " follows ", expected - 1));
      expected = a + 1;
      if (row.outcome == "succeeded") {
        ++attempt_successes;
        succeeded_attempt = a;
      } else if (row.outcome == "lost") {
        ++r.expired;
      } else if (row.outcome == "released") {
        ++r.released;
      } else {
        broken.push_back(absl::StrCat("job ", job, ": attempt ", a, " ended ", row.outcome));
      }
    }
    const int64_t leases = static_cast<int64_t>(std::count_if(
        h.events.begin(), h.events.end(), [](const Event& e) { return e.kind == "leased"; }));
    if (leases != static_cast<int64_t>(h.attempts.size()) ||
        h.attempt != static_cast<int64_t>(h.attempts.size())) {
      broken.push_back(absl::StrCat("job ", job, ": ", leases, " leased events, ",
                                    h.attempts.size(), " attempts rows, jobs.attempt ", h.attempt));
    }
    if (event_successes > 1 || attempt_successes > 1 || h.results > 1) {
      ++r.duplicated;
      if (r.violations.size() < 50) {
        r.violations.push_back(absl::StrCat("job ", job, ": succeeded ", event_successes,
                                            " times in events, ", attempt_successes,
                                            " in attempts, ", h.results, " results rows"));
      }
      continue;
    }
    if (h.state != "succeeded" || event_successes == 0 || attempt_successes == 0 ||
        h.results == 0) {
      ++r.lost;
      if (r.violations.size() < 50) {
        r.violations.push_back(absl::StrCat("job ", job, ": ", h.state, " without a success"));
      }
      continue;
    }
    if (succeeded_attempt != h.attempt) {
      broken.push_back(absl::StrCat("job ", job, ": succeeded attempt ", succeeded_attempt,
                                    " is not the last (", h.attempt, ")"));
    }
    if (h.result_attempt != succeeded_attempt ||
        h.result_digest != h.attempts.at(succeeded_attempt).digest) {
      broken.push_back(absl::StrCat("job ", job, ": result stored by attempt ", h.result_attempt,
                                    ", success recorded for ", succeeded_attempt,
                                    " (or the digests differ)"));
    }
    for (std::string& b : broken) note(job, std::move(b));
    if (broken.empty()) ++r.exactly_once;
  }
  r.unexpected = static_cast<int64_t>(unexpected.size());
  return r;
}

}  // namespace sweep::integration
