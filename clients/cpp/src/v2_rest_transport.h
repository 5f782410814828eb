// v2rest: the Open Inference Protocol's REST API, POST
// {rest}/v2/models/{name}[/versions/{v}]/infer over libcurl, bodies by
// v2_json; errors by HTTP status, mapped back as the rest transport maps them.
#ifndef TFINTEROP_V2_REST_TRANSPORT_H_
#define TFINTEROP_V2_REST_TRANSPORT_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "transport.h"

namespace tfinterop {

// predict (as .../infer), as over v2grpc.
const std::vector<Api>& V2RestApis();

// {base_url}/v2/models/{name}[/versions/{version}]/infer, each segment
// percent-encoded; no version segment when `version` is empty.
std::string V2InferUrl(const std::string& base_url, const std::string& name,
                       const std::string& version);

// A transport to `base_url` (e.g. http://127.0.0.1:8501). An unreachable
// server shows up per call as UNAVAILABLE.
std::unique_ptr<Transport> MakeV2RestTransport(const std::string& base_url,
                                               std::chrono::milliseconds deadline);

}  // namespace tfinterop

#endif  // TFINTEROP_V2_REST_TRANSPORT_H_
