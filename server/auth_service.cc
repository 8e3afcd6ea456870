// AuthService (see auth_service.h): each handler authorizes, identifies the worker where
// the call acts on a lease, then delegates to SweepServiceImpl.
#include "server/auth_service.h"

#include <map>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/input_checks.h"
#include "common/secret.h"
#include "proto/convert.h"

namespace sweep::server {
namespace {

using wire::ToGrpcStatus;

// Longest worker id accepted at registration: ids are stored, logged and shown per job.

grpc::Status Unauthenticated(const std::string& why) {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, why);
}
grpc::Status Denied(const std::string& why) {
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED, why);
}

// The first value of metadata `key`, or nullopt.
std::optional<std::string_view> Metadata(const grpc::ServerContext* ctx, const char* key) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(key);
  if (it == md.end()) return std::nullopt;
  return std::string_view(it->second.data(), it->second.size());
}

}  // namespace

std::optional<Role> RoleOf(const std::string& method) {
  static const auto* const kRoles = new std::map<std::string, Role>{
      {"SubmitSweep", Role::kClient},
      {"CancelSweep", Role::kClient},
      {"RetrySweep", Role::kClient},
      {"ControlSweep", Role::kClient},
      {"ExtendSweep", Role::kClient},
      {"ListSweeps", Role::kClient},
      {"GetSweep", Role::kClient},
      {"GetAdaptiveCells", Role::kClient},
      {"VerifySweep", Role::kClient},
      {"GetVerification", Role::kClient},
      {"ListJobs", Role::kClient},
      {"GetResults", Role::kClient},
      {"GetCurves", Role::kClient},
      {"ListWorkers", Role::kClient},
      {"GetCheckpointForJob", Role::kClient},
      {"ListCheckpoints", Role::kClient},
      {"RegisterWorker", Role::kWorker},
      {"LeaseJob", Role::kWorker},
      {"Heartbeat", Role::kWorker},
      {"ReportResult", Role::kWorker},
      {"ReleaseJob", Role::kWorker},
      {"PutCheckpoint", Role::kWorker},
      {"GetCheckpoint", Role::kWorker},
  };
  auto it = kRoles->find(method);
  if (it == kRoles->end()) return std::nullopt;
  return it->second;
}

grpc::Status AuthService::Authorize(Ctx* ctx, const char* method) const {
  const std::optional<Role> role = RoleOf(method);
  if (!role) return Denied(absl::StrCat(method, ": no role may call it"));
  if (auth_.insecure_no_auth) return grpc::Status::OK;
  // The token is never part of a message or a log line: only whether and how it failed.
  const std::optional<std::string_view> header = Metadata(ctx, kAuthorizationKey);
  if (!header) {
    return Unauthenticated(
        "no bearer token (metadata \"authorization: Bearer <token>\"; sweep and sweep-worker "
        "take --token-file)");
  }
  constexpr std::string_view kBearer = "Bearer ";
  if (header->substr(0, kBearer.size()) != kBearer || header->size() == kBearer.size()) {
    return Unauthenticated("authorization metadata is not \"Bearer <token>\"");
  }
  const std::string_view token = header->substr(kBearer.size());
  // Both comparisons always run, so the time does not tell which role matched.
  const bool client = ConstantTimeEquals(token, auth_.client_token);
  const bool worker = ConstantTimeEquals(token, auth_.worker_token);
  if (!client && !worker) return Unauthenticated("invalid bearer token");
  if (*role == Role::kClient && !client) {
    return Denied(absl::StrCat(method, ": needs the client token; this is the worker token"));
  }
  if (*role == Role::kWorker && !worker) {
    return Denied(absl::StrCat(method, ": needs the worker token; this is the client token"));
  }
  return grpc::Status::OK;
}

grpc::Status AuthService::MatchCertificate(Ctx* ctx, const std::string& worker_id) const {
  if (!auth_.mutual_tls()) return grpc::Status::OK;
  const std::shared_ptr<const grpc::AuthContext> peer = ctx->auth_context();
  const std::vector<grpc::string_ref> cns =
      peer ? peer->FindPropertyValues("x509_common_name") : std::vector<grpc::string_ref>();
  if (cns.empty()) return Unauthenticated("client certificate: none, or without a CN");
  const std::string cn(cns.front().data(), cns.front().size());
  if (worker_id == cn || absl::StartsWith(worker_id, cn + "-")) return grpc::Status::OK;
  return Denied(absl::StrCat("worker_id: \"", worker_id,
                             "\" does not match the certificate's CN \"", cn,
                             "\" (it must be the CN or begin with CN-)"));
}

grpc::Status AuthService::Identify(Ctx* ctx, const std::string& claimed,
                                   std::string* worker) const {
  const std::optional<std::string_view> secret = Metadata(ctx, kSessionKey);
  if (!secret || secret->empty()) {
    return Unauthenticated(absl::StrCat("worker session: missing (metadata \"", kSessionKey,
                                        "\" from RegisterWorker)"));
  }
  absl::StatusOr<std::string> id = coordinator_.WorkerForSession(std::string(*secret));
  if (!id.ok()) return ToGrpcStatus(id.status());
  if (!claimed.empty() && claimed != *id) {
    return Denied(
        absl::StrCat("worker_id: \"", claimed, "\" is not this session's worker \"", *id, "\""));
  }
  if (grpc::Status s = MatchCertificate(ctx, *id); !s.ok()) return s;
  *worker = *std::move(id);
  return grpc::Status::OK;
}

#define SWEEP_AUTHORIZE(method)                           \
  if (grpc::Status s = Authorize(ctx, method); !s.ok()) { \
    return s;                                             \
  }

grpc::Status AuthService::RegisterWorker(Ctx* ctx, const v1::RegisterWorkerRequest* req,
                                         v1::RegisterWorkerResponse* resp) {
  SWEEP_AUTHORIZE("RegisterWorker");
  // The id, host and slots limits (common/limits.h) are checked by RegisterSession, before
  // the certificate: a 4 MB id is refused without being compared to anything.
  if (absl::Status s = CheckWorkerHello(wire::FromProto(*req)); !s.ok()) return ToGrpcStatus(s);
  if (grpc::Status s = MatchCertificate(ctx, req->worker_id()); !s.ok()) return s;
  const std::string presented(Metadata(ctx, kSessionKey).value_or(""));
  absl::StatusOr<std::string> secret =
      coordinator_.RegisterSession(wire::FromProto(*req), presented);
  if (!secret.ok()) return ToGrpcStatus(secret.status());
  resp->set_lease_ttl_ms(options_.lease_ttl.count());
  resp->set_session_secret(*secret);
  return grpc::Status::OK;
}

grpc::Status AuthService::LeaseJob(Ctx* ctx, const v1::LeaseJobRequest* req,
                                   v1::LeaseJobResponse* resp) {
  SWEEP_AUTHORIZE("LeaseJob");
  v1::LeaseJobRequest own = *req;
  if (grpc::Status s = Identify(ctx, req->worker_id(), own.mutable_worker_id()); !s.ok()) return s;
  return SweepServiceImpl::LeaseJob(ctx, &own, resp);
}

grpc::Status AuthService::Heartbeat(Ctx* ctx, const v1::HeartbeatRequest* req,
                                    v1::HeartbeatResponse* resp) {
  SWEEP_AUTHORIZE("Heartbeat");
  v1::HeartbeatRequest own = *req;
  if (grpc::Status s = Identify(ctx, req->worker_id(), own.mutable_worker_id()); !s.ok()) return s;
  return SweepServiceImpl::Heartbeat(ctx, &own, resp);
}

grpc::Status AuthService::ReportResult(Ctx* ctx, const v1::ReportResultRequest* req,
                                       v1::ReportResultResponse* resp) {
  SWEEP_AUTHORIZE("ReportResult");
  v1::ReportResultRequest own = *req;
  if (grpc::Status s =
          Identify(ctx, req->report().worker_id(), own.mutable_report()->mutable_worker_id());
      !s.ok()) {
    return s;
  }
  // A next-lease ask leases for the session's worker, as LeaseJob does.
  if (own.has_next()) {
    const std::string& claimed = req->next().worker_id();
    if (!claimed.empty() && claimed != own.report().worker_id()) {
      return Denied(absl::StrCat("next.worker_id: \"", claimed.substr(0, 64),
                                 "\" is not this session's worker \"", own.report().worker_id(),
                                 "\""));
    }
    own.mutable_next()->set_worker_id(own.report().worker_id());
  }
  return SweepServiceImpl::ReportResult(ctx, &own, resp);
}

grpc::Status AuthService::ReleaseJob(Ctx* ctx, const v1::ReleaseJobRequest* req,
                                     v1::ReleaseJobResponse* resp) {
  SWEEP_AUTHORIZE("ReleaseJob");
  v1::ReleaseJobRequest own = *req;
  if (grpc::Status s = Identify(ctx, req->worker_id(), own.mutable_worker_id()); !s.ok()) return s;
  return SweepServiceImpl::ReleaseJob(ctx, &own, resp);
}

grpc::Status AuthService::PutCheckpoint(Ctx* ctx, const v1::PutCheckpointRequest* req,
                                        v1::PutCheckpointResponse* resp) {
  SWEEP_AUTHORIZE("PutCheckpoint");
  std::string worker;
  if (grpc::Status s = Identify(ctx, "", &worker); !s.ok()) return s;
  absl::Status held = coordinator_.CheckCheckpointLease(worker, req->checkpoint().training_hash());
  if (!held.ok()) return ToGrpcStatus(held);
  return SweepServiceImpl::PutCheckpoint(ctx, req, resp);
}

// The rest only authorize.
#define SWEEP_AUTHORIZED(Method, Req, Resp)                                        \
  grpc::Status AuthService::Method(Ctx* ctx, const v1::Req* req, v1::Resp* resp) { \
    SWEEP_AUTHORIZE(#Method);                                                      \
    return SweepServiceImpl::Method(ctx, req, resp);                               \
  }

SWEEP_AUTHORIZED(SubmitSweep, SubmitSweepRequest, SubmitSweepResponse)
SWEEP_AUTHORIZED(CancelSweep, CancelSweepRequest, CancelSweepResponse)
SWEEP_AUTHORIZED(RetrySweep, RetrySweepRequest, RetrySweepResponse)
SWEEP_AUTHORIZED(ControlSweep, ControlSweepRequest, ControlSweepResponse)
SWEEP_AUTHORIZED(ExtendSweep, ExtendSweepRequest, ExtendSweepResponse)
SWEEP_AUTHORIZED(ListSweeps, ListSweepsRequest, ListSweepsResponse)
SWEEP_AUTHORIZED(GetSweep, GetSweepRequest, GetSweepResponse)
SWEEP_AUTHORIZED(GetAdaptiveCells, GetAdaptiveCellsRequest, GetAdaptiveCellsResponse)
SWEEP_AUTHORIZED(VerifySweep, VerifySweepRequest, VerifySweepResponse)
SWEEP_AUTHORIZED(GetVerification, GetVerificationRequest, GetVerificationResponse)
SWEEP_AUTHORIZED(ListJobs, ListJobsRequest, ListJobsResponse)
SWEEP_AUTHORIZED(GetResults, GetResultsRequest, GetResultsResponse)
SWEEP_AUTHORIZED(GetCurves, GetCurvesRequest, GetCurvesResponse)
SWEEP_AUTHORIZED(ListWorkers, ListWorkersRequest, ListWorkersResponse)
SWEEP_AUTHORIZED(GetCheckpoint, GetCheckpointRequest, GetCheckpointResponse)
SWEEP_AUTHORIZED(GetCheckpointForJob, GetCheckpointForJobRequest, GetCheckpointResponse)
SWEEP_AUTHORIZED(ListCheckpoints, ListCheckpointsRequest, ListCheckpointsResponse)

}  // namespace sweep::server
