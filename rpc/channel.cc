// MakeChannel (see channel.h).
#include "rpc/channel.h"

#include <grpcpp/grpcpp.h>

#include "common/limits.h"

namespace sweep::rpc {

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 60'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  // Reconnect quickly after a coordinator restart: the worker's own backoff paces retries.
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1'000);
  // The server's limit (common/limits.h): a sweep file the parser accepts must not be
  // refused by gRPC's 4 MiB default on the way out, nor a reply on the way in.
  args.SetMaxSendMessageSize(limits::kMaxMessageBytes);
  args.SetMaxReceiveMessageSize(limits::kMaxMessageBytes);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace sweep::rpc
