// The one way the worker and the client open a channel to the coordinator.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>

namespace sweep::rpc {

// An insecure channel to HOST:PORT with keepalive every 60 s (20 s timeout), also with
// no call open (docs/design.md section 6.4).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

}  // namespace sweep::rpc
