#include "transport.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "grpc_service.pb.h"
#include "tensorflow_serving/apis/classification.pb.h"
#include "tensorflow_serving/apis/get_model_metadata.pb.h"
#include "tensorflow_serving/apis/inference.pb.h"
#include "tensorflow_serving/apis/predict.pb.h"
#include "tensorflow_serving/apis/regression.pb.h"

namespace tfinterop {

namespace tfs = tensorflow::serving;

namespace {

class ClearingCaller : public Caller {
 public:
  explicit ClearingCaller(Transport* transport) : transport_(transport) {}
  Status Call(Api api, const google::protobuf::Message& request,
              google::protobuf::Message* response, const CallOptions& options) override {
    response->Clear();
    return transport_->Call(api, request, response, options);
  }

 private:
  Transport* transport_;
};

}  // namespace

std::unique_ptr<Caller> Transport::NewCaller() { return std::make_unique<ClearingCaller>(this); }

std::unique_ptr<google::protobuf::Message> NewRequest(Api api, Protocol protocol) {
  if (protocol == Protocol::kOpenInference) {
    if (api == Api::kPredict) return std::make_unique<inference::ModelInferRequest>();
    return nullptr;
  }
  switch (api) {
    case Api::kPredict: return std::make_unique<tfs::PredictRequest>();
    case Api::kClassify: return std::make_unique<tfs::ClassificationRequest>();
    case Api::kRegress: return std::make_unique<tfs::RegressionRequest>();
    case Api::kMultiInference: return std::make_unique<tfs::MultiInferenceRequest>();
    case Api::kMetadata: return std::make_unique<tfs::GetModelMetadataRequest>();
  }
  return nullptr;
}

std::unique_ptr<google::protobuf::Message> NewResponse(Api api, Protocol protocol) {
  if (protocol == Protocol::kOpenInference) {
    if (api == Api::kPredict) return std::make_unique<inference::ModelInferResponse>();
    return nullptr;
  }
  switch (api) {
    case Api::kPredict: return std::make_unique<tfs::PredictResponse>();
    case Api::kClassify: return std::make_unique<tfs::ClassificationResponse>();
    case Api::kRegress: return std::make_unique<tfs::RegressionResponse>();
    case Api::kMultiInference: return std::make_unique<tfs::MultiInferenceResponse>();
    case Api::kMetadata: return std::make_unique<tfs::GetModelMetadataResponse>();
  }
  return nullptr;
}

std::string SerializeDeterministic(const google::protobuf::Message& message) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return out;
}

}  // namespace tfinterop
