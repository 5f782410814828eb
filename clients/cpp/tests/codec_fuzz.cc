// libFuzzer target for the two decoders that read untrusted bytes: a
// TensorProto (grpc requests, golden files) and REST JSON. Whatever decodes
// must re-encode and decode to the same bits. Built with -fsanitize=fuzzer
// under clang (TFINTEROP_LIBFUZZER=ON), else linked with fuzz_driver.cc.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "rest_json.h"
#include "tensor_codec.h"

namespace {

using tfinterop::HostTensor;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "codec_fuzz: %s\n", what);
  std::abort();
}

bool SameBitsIgnoringNan(const HostTensor& a, const HostTensor& b) {
  if (a.shape != b.shape || a.strings != b.strings) return false;
  if (a.data.size() != b.data.size()) return false;
  if (a.dtype == tensorflow::DT_FLOAT) {
    for (size_t i = 0; i < a.data.size(); i += 4) {
      float x, y;
      std::memcpy(&x, &a.data[i], 4);
      std::memcpy(&y, &b.data[i], 4);
      if (std::isnan(x) ? !std::isnan(y) : std::memcmp(&x, &y, 4) != 0) return false;
    }
    return true;
  }
  if (a.dtype == tensorflow::DT_DOUBLE) {
    for (size_t i = 0; i < a.data.size(); i += 8) {
      double x, y;
      std::memcpy(&x, &a.data[i], 8);
      std::memcpy(&y, &b.data[i], 8);
      if (std::isnan(x) ? !std::isnan(y) : std::memcmp(&x, &y, 8) != 0) return false;
    }
    return true;
  }
  return a.data == b.data;
}

void CheckTensor(const HostTensor& t) {
  if (t.dtype != tensorflow::DT_BOOL) {  // bool bytes other than 0/1 normalise
    tensorflow::TensorProto typed;
    tfinterop::EncodeTensorProto(t, &typed);
    const auto back = tfinterop::DecodeTensorProto(typed);
    if (!back.ok() || back->data != t.data || back->strings != t.strings) {
      Fail("typed-field round trip changed the tensor");
    }
  }
  switch (t.dtype) {
    case tensorflow::DT_FLOAT:
    case tensorflow::DT_DOUBLE:
    case tensorflow::DT_INT8:
    case tensorflow::DT_INT16:
    case tensorflow::DT_INT32:
    case tensorflow::DT_INT64:
    case tensorflow::DT_UINT8:
    case tensorflow::DT_UINT16:
    case tensorflow::DT_UINT32:
    case tensorflow::DT_UINT64:
    case tensorflow::DT_STRING: {
      rapidjson::StringBuffer buffer;
      tfinterop::JsonWriter writer(buffer);
      if (!tfinterop::WriteTensorJson(t, &writer).ok()) Fail("JSON encoding failed");
      const std::string json = tfinterop::JsonText(buffer);
      const auto parsed = tfinterop::ParseJson(json);
      if (!parsed.ok()) Fail("our own JSON does not parse");
      auto back = tfinterop::TensorFromJson(parsed.value(), t.dtype);
      // Nesting cannot say the shape of an empty tensor beyond its first 0.
      if (t.NumElements() == 0) return;
      if (!back.ok() || !SameBitsIgnoringNan(back.value(), t)) {
        Fail("JSON round trip changed the tensor");
      }
      break;
    }
    default: break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tensorflow::TensorProto proto;
  if (proto.ParseFromArray(data, static_cast<int>(size))) {
    const auto t = tfinterop::DecodeTensorProto(proto);
    if (t.ok() && t->NumElements() <= (1 << 16)) CheckTensor(t.value());
  }
  const auto json =
      tfinterop::ParseJson(std::string_view(reinterpret_cast<const char*>(data), size));
  if (json.ok()) {
    for (auto dtype : {tensorflow::DT_FLOAT, tensorflow::DT_INT64, tensorflow::DT_STRING,
                       tensorflow::DT_BOOL, tensorflow::DT_HALF}) {
      (void)tfinterop::TensorFromJson(json.value(), dtype);
    }
  }
  return 0;
}
