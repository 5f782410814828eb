// grpc: TF Serving's PredictionService over gRPC C++, one deadline per call,
// the server's status code recorded unchanged.
#ifndef TFINTEROP_GRPC_TRANSPORT_H_
#define TFINTEROP_GRPC_TRANSPORT_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "status.h"
#include "transport.h"

namespace grpc {
class Channel;
class Status;
}  // namespace grpc

namespace tfinterop {

// The plaintext channel both gRPC transports (TF Serving's API and v2) use: messages up to
// INT_MAX each way, as TF Serving itself accepts.
std::shared_ptr<grpc::Channel> MakeGrpcChannel(const std::string& target);

// The server's status, code and message unchanged, as a result records it.
Status FromGrpcStatus(const grpc::Status& status);

// The PredictionService and ModelService calls the gRPC transport makes.
const std::vector<Api>& GrpcApis();

// A transport to `target` (host:port). Never fails here: an unreachable
// server shows up per call as UNAVAILABLE (or DEADLINE_EXCEEDED).
std::unique_ptr<Transport> MakeGrpcTransport(const std::string& target,
                                             std::chrono::milliseconds deadline);

}  // namespace tfinterop

#endif  // TFINTEROP_GRPC_TRANSPORT_H_
