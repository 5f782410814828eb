#include "grpc_transport.h"

#include <grpcpp/grpcpp.h>

#include <limits>

#include "tensorflow_serving/apis/prediction_service.grpc.pb.h"

namespace tfinterop {
namespace {

namespace tfs = tensorflow::serving;

class GrpcTransport : public Transport {
 public:
  GrpcTransport(const std::string& target, std::chrono::milliseconds deadline)
      : target_(target), deadline_(deadline) {
    stub_ = tfs::PredictionService::NewStub(MakeGrpcChannel(target));
  }

  const char* mode() const override { return "grpc"; }

  Status Call(Api api, const google::protobuf::Message& request,
              google::protobuf::Message* response, const CallOptions&) override {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline_);
    grpc::Status status;
    switch (api) {
      case Api::kPredict:
        status = stub_->Predict(&context, static_cast<const tfs::PredictRequest&>(request),
                                static_cast<tfs::PredictResponse*>(response));
        break;
      case Api::kClassify:
        status = stub_->Classify(&context, static_cast<const tfs::ClassificationRequest&>(request),
                                 static_cast<tfs::ClassificationResponse*>(response));
        break;
      case Api::kRegress:
        status = stub_->Regress(&context, static_cast<const tfs::RegressionRequest&>(request),
                                static_cast<tfs::RegressionResponse*>(response));
        break;
      case Api::kMultiInference:
        status =
            stub_->MultiInference(&context, static_cast<const tfs::MultiInferenceRequest&>(request),
                                  static_cast<tfs::MultiInferenceResponse*>(response));
        break;
      case Api::kMetadata:
        status = stub_->GetModelMetadata(&context,
                                         static_cast<const tfs::GetModelMetadataRequest&>(request),
                                         static_cast<tfs::GetModelMetadataResponse*>(response));
        break;
    }
    return FromGrpcStatus(status);
  }

  nlohmann::json Runtime() const override {
    return {{"grpc", grpc::Version()}, {"target", target_}};
  }

 private:
  std::string target_;
  std::chrono::milliseconds deadline_;
  std::unique_ptr<tfs::PredictionService::Stub> stub_;
};

}  // namespace

std::shared_ptr<grpc::Channel> MakeGrpcChannel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(std::numeric_limits<int>::max());
  args.SetMaxSendMessageSize(std::numeric_limits<int>::max());
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return OkStatus();
  return Status(CodeFromInt(static_cast<int>(status.error_code())), status.error_message());
}

const std::vector<Api>& GrpcApis() {
  static const std::vector<Api> apis = {Api::kPredict, Api::kClassify, Api::kRegress,
                                        Api::kMultiInference, Api::kMetadata};
  return apis;
}

std::unique_ptr<Transport> MakeGrpcTransport(const std::string& target,
                                             std::chrono::milliseconds deadline) {
  return std::make_unique<GrpcTransport>(target, deadline);
}

}  // namespace tfinterop
