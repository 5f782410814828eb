#include "v2_rest_transport.h"

#include "grpc_service.pb.h"
#include "http_client.h"
#include "v2_json.h"

namespace tfinterop {
namespace {

std::string WithoutTrailingSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

class V2RestTransport : public Transport {
 public:
  V2RestTransport(const std::string& base_url, std::chrono::milliseconds deadline)
      : base_url_(WithoutTrailingSlashes(base_url)), http_(deadline) {}

  const char* mode() const override { return "v2rest"; }
  Protocol protocol() const override { return Protocol::kOpenInference; }

  Status Call(Api api, const google::protobuf::Message& request,
              google::protobuf::Message* response, const CallOptions&) override {
    if (api != Api::kPredict) {
      return Unimplemented(std::string("the Open Inference Protocol has no ") + ApiName(api) +
                           " endpoint");
    }
    const auto& infer = static_cast<const inference::ModelInferRequest&>(request);
    auto body = InferRequestJson(infer);
    if (!body.ok()) return body.status();
    auto reply = http_.Exchange(V2InferUrl(base_url_, infer.model_name(), infer.model_version()),
                                &body.value());
    if (!reply.ok()) return reply.status();
    if (reply->status != 200) return HttpError(reply.value());
    return ReadInferResponseJson(reply->body,
                                 static_cast<inference::ModelInferResponse*>(response));
  }

  nlohmann::json Runtime() const override {
    return {{"curl", curl_version_info(CURLVERSION_NOW)->version}, {"rest", base_url_}};
  }

 private:
  std::string base_url_;
  HttpClient http_;
};

}  // namespace

const std::vector<Api>& V2RestApis() {
  static const std::vector<Api> apis = {Api::kPredict};
  return apis;
}

std::string V2InferUrl(const std::string& base_url, const std::string& name,
                       const std::string& version) {
  std::string url = WithoutTrailingSlashes(base_url) + "/v2/models/" + EscapePathSegment(name);
  if (!version.empty()) url += "/versions/" + EscapePathSegment(version);
  return url + "/infer";
}

std::unique_ptr<Transport> MakeV2RestTransport(const std::string& base_url,
                                               std::chrono::milliseconds deadline) {
  return std::make_unique<V2RestTransport>(base_url, deadline);
}

}  // namespace tfinterop
