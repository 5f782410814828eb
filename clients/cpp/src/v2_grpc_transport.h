// v2grpc: the Open Inference Protocol's inference.GRPCInferenceService/ModelInfer
// over gRPC C++, one deadline per call, the server's status code recorded
// unchanged (as the grpc transport does).
#ifndef TFINTEROP_V2_GRPC_TRANSPORT_H_
#define TFINTEROP_V2_GRPC_TRANSPORT_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "transport.h"

namespace tfinterop {

// predict (as ModelInfer): the protocol has no classify, regress or
// multi_inference, and the suite's metadata cases are TF Serving's.
const std::vector<Api>& V2GrpcApis();

// A transport to `target` (host:port). Never fails here: an unreachable
// server shows up per call as UNAVAILABLE (or DEADLINE_EXCEEDED).
std::unique_ptr<Transport> MakeV2GrpcTransport(const std::string& target,
                                               std::chrono::milliseconds deadline);

}  // namespace tfinterop

#endif  // TFINTEROP_V2_GRPC_TRANSPORT_H_
