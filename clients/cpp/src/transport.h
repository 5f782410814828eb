// One interface for the three transports: run one request, get the response
// message or a canonical error. The runner and bench know nothing else.
#ifndef TFINTEROP_TRANSPORT_H_
#define TFINTEROP_TRANSPORT_H_

#include <google/protobuf/message.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "cases.h"
#include "status.h"

namespace tfinterop {

struct CallOptions {
  RestFormat rest_format = RestFormat::kColumnar;
};

// One worker's calls through a Transport, one at a time (not thread-safe), for
// a loop that is done with each response before its next request: a transport
// may keep memory per caller from call to call (the in-process one: its
// tensors), and `response` may be the one the previous call filled.
class Caller {
 public:
  virtual ~Caller() = default;
  // Transport::Call's contract, with `response` refilled to exactly what a
  // fresh message would get, whatever it held.
  virtual Status Call(Api api, const google::protobuf::Message& request,
                      google::protobuf::Message* response, const CallOptions& options) = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // "inproc", "grpc", "rest", "v2grpc" or "v2rest".
  virtual const char* mode() const = 0;
  // The message family Call takes and fills.
  virtual Protocol protocol() const { return Protocol::kTfServing; }
  // Runs `request` (the message type of `api` in protocol()) and fills `response` (ditto),
  // or returns the error with its canonical code. Thread-safe.
  virtual Status Call(Api api, const google::protobuf::Message& request,
                      google::protobuf::Message* response, const CallOptions& options) = 0;
  // The runtime block of run.json.
  virtual nlohmann::json Runtime() const = 0;
  // A Caller for one worker; by default one that clears the response and
  // calls Call (the network transports keep nothing per worker).
  virtual std::unique_ptr<Caller> NewCaller();
};

// Fresh request and response messages for `api` (PredictRequest, ...; in
// kOpenInference, ModelInferRequest/Response for predict, nullptr otherwise).
std::unique_ptr<google::protobuf::Message> NewRequest(Api api,
                                                      Protocol protocol = Protocol::kTfServing);
std::unique_ptr<google::protobuf::Message> NewResponse(Api api,
                                                       Protocol protocol = Protocol::kTfServing);

// Serializes with deterministic map order, so equal responses give equal files.
std::string SerializeDeterministic(const google::protobuf::Message& message);

}  // namespace tfinterop

#endif  // TFINTEROP_TRANSPORT_H_
