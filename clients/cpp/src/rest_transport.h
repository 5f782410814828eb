// rest: TF Serving's REST API (/v1/models/...) over libcurl, JSON bodies as
// docs/CONTRACT.md specifies, responses turned back into protos using the
// signature from the model's metadata.
#ifndef TFINTEROP_REST_TRANSPORT_H_
#define TFINTEROP_REST_TRANSPORT_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "transport.h"

namespace tfinterop {

// The REST endpoints the transport calls (TF Serving's REST API has no
// multi_inference: UNIMPLEMENTED).
const std::vector<Api>& RestApis();

// A transport to `base_url` (e.g. http://127.0.0.1:8501). An unreachable
// server shows up per call as UNAVAILABLE.
std::unique_ptr<Transport> MakeRestTransport(const std::string& base_url,
                                             std::chrono::milliseconds deadline);

}  // namespace tfinterop

#endif  // TFINTEROP_REST_TRANSPORT_H_
