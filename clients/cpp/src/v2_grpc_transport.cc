#include "v2_grpc_transport.h"

#include <grpcpp/grpcpp.h>

#include "grpc_service.grpc.pb.h"
#include "grpc_transport.h"

namespace tfinterop {
namespace {

class V2GrpcTransport : public Transport {
 public:
  V2GrpcTransport(const std::string& target, std::chrono::milliseconds deadline)
      : target_(target), deadline_(deadline) {
    stub_ = inference::GRPCInferenceService::NewStub(MakeGrpcChannel(target));
  }

  const char* mode() const override { return "v2grpc"; }
  Protocol protocol() const override { return Protocol::kOpenInference; }

  Status Call(Api api, const google::protobuf::Message& request,
              google::protobuf::Message* response, const CallOptions&) override {
    if (api != Api::kPredict) {
      return Unimplemented(std::string("the Open Inference Protocol has no ") + ApiName(api) +
                           " call");
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline_);
    const grpc::Status status =
        stub_->ModelInfer(&context, static_cast<const inference::ModelInferRequest&>(request),
                          static_cast<inference::ModelInferResponse*>(response));
    return FromGrpcStatus(status);
  }

  nlohmann::json Runtime() const override {
    return {{"grpc", grpc::Version()}, {"target", target_}};
  }

 private:
  std::string target_;
  std::chrono::milliseconds deadline_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub_;
};

}  // namespace

const std::vector<Api>& V2GrpcApis() {
  static const std::vector<Api> apis = {Api::kPredict};
  return apis;
}

std::unique_ptr<Transport> MakeV2GrpcTransport(const std::string& target,
                                               std::chrono::milliseconds deadline) {
  return std::make_unique<V2GrpcTransport>(target, deadline);
}

}  // namespace tfinterop
