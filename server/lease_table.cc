#include "server/lease_table.h"

namespace sweep::server {

void LeaseTable::RemoveLocked(std::unordered_map<int64_t, Entry>::iterator it) {
  auto owner = held_.find(it->second.lease.owner);
  if (owner != held_.end() && --owner->second <= 0) held_.erase(owner);
  dirty_.erase(it->first);
  leases_.erase(it);
}

void LeaseTable::Put(const LiveLease& lease, bool dirty) {
  std::lock_guard lock(mu_);
  if (auto old = leases_.find(lease.job_id); old != leases_.end()) RemoveLocked(old);
  ++held_[lease.owner];
  Entry& e = leases_[lease.job_id];
  e.lease = lease;
  e.dirty = dirty;
  if (dirty) {
    dirty_.insert(lease.job_id);
  } else {
    dirty_.erase(lease.job_id);
  }
}

void LeaseTable::Erase(int64_t job_id, int attempt) {
  std::lock_guard lock(mu_);
  auto it = leases_.find(job_id);
  if (it == leases_.end() || it->second.lease.attempt != attempt) return;
  RemoveLocked(it);
}

std::optional<LiveLease> LeaseTable::Take(int64_t job_id, int attempt) {
  std::lock_guard lock(mu_);
  auto it = leases_.find(job_id);
  if (it == leases_.end() || it->second.lease.attempt != attempt) return std::nullopt;
  LiveLease taken = it->second.lease;
  RemoveLocked(it);
  return taken;
}

std::optional<HeartbeatReply> LeaseTable::Renew(int64_t job_id, int attempt,
                                                const std::string& worker_id, int64_t step,
                                                int64_t total, TimePoint now,
                                                std::chrono::milliseconds ttl) {
  std::lock_guard lock(mu_);
  auto it = leases_.find(job_id);
  if (it == leases_.end()) return std::nullopt;
  LiveLease& l = it->second.lease;
  if (l.attempt != attempt || l.owner != worker_id) return std::nullopt;
  // Never earlier than before: the file may already hold the later deadline, and the
  // expiry check relies on this table being at or after the file (lease_table.h).
  l.expires_at = std::max(l.expires_at, now + ttl);
  l.step = step;
  l.total = total;
  it->second.dirty = true;
  dirty_.insert(job_id);
  seen_[worker_id] = now;
  return HeartbeatReply{cancelled_sweeps_.contains(l.sweep_id), l.expires_at};
}

std::optional<TimePoint> LeaseTable::ClaimExpired(int64_t job_id, int attempt, TimePoint now) {
  std::lock_guard lock(mu_);
  auto it = leases_.find(job_id);
  if (it == leases_.end()) return std::nullopt;
  if (it->second.lease.attempt == attempt && it->second.lease.expires_at > now) {
    return it->second.lease.expires_at;
  }
  if (it->second.lease.attempt <= attempt) RemoveLocked(it);  // not a newer attempt's
  return std::nullopt;
}

void LeaseTable::SetCancelled(int64_t sweep_id, bool cancelled) {
  std::lock_guard lock(mu_);
  if (cancelled) {
    cancelled_sweeps_.insert(sweep_id);
  } else {
    cancelled_sweeps_.erase(sweep_id);
  }
}

void LeaseTable::ReplaceCancelled(const std::vector<int64_t>& sweep_ids) {
  std::lock_guard lock(mu_);
  cancelled_sweeps_ = std::unordered_set<int64_t>(sweep_ids.begin(), sweep_ids.end());
}

bool LeaseTable::Cancelled(int64_t sweep_id) const {
  std::lock_guard lock(mu_);
  return cancelled_sweeps_.contains(sweep_id);
}

LeaseFlush LeaseTable::TakeDirty() {
  std::lock_guard lock(mu_);
  LeaseFlush out;
  out.leases.reserve(dirty_.size());
  for (int64_t job_id : dirty_) {
    auto it = leases_.find(job_id);
    if (it == leases_.end()) continue;
    it->second.dirty = false;
    out.leases.push_back(it->second.lease);
  }
  dirty_.clear();
  out.workers_seen.assign(seen_.begin(), seen_.end());
  seen_.clear();
  return out;
}

void LeaseTable::Restore(const LeaseFlush& flush) {
  std::lock_guard lock(mu_);
  for (const LiveLease& l : flush.leases) {
    auto it = leases_.find(l.job_id);
    if (it == leases_.end() || it->second.lease.attempt != l.attempt) continue;
    it->second.dirty = true;
    dirty_.insert(l.job_id);
  }
  for (const auto& [worker, at] : flush.workers_seen) {
    TimePoint& t = seen_[worker];
    t = std::max(t, at);
  }
}

size_t LeaseTable::size() const {
  std::lock_guard lock(mu_);
  return leases_.size();
}

storage::LeaseCount LeaseTable::Count(const std::string& worker_id) const {
  std::lock_guard lock(mu_);
  auto it = held_.find(worker_id);
  return storage::LeaseCount{it == held_.end() ? 0 : it->second,
                             static_cast<int64_t>(leases_.size())};
}

}  // namespace sweep::server
