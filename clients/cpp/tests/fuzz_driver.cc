// Runs the libFuzzer target without libFuzzer (g++ has none): each file
// argument once, or, with none, a deterministic stream of mutated seeds
// (valid TensorProtos of every dtype and JSON bodies) for a quick smoke run.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tensorflow/core/framework/tensor.pb.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::vector<std::string> Seeds() {
  std::vector<std::string> seeds = {
      R"({"inputs": {"x": [[1.5, NaN, -Infinity], [0, -0.0, 1e-45]]}})",
      R"([9007199254740993, -9223372036854775808, 18446744073709551615])",
      R"(["a", {"b64": "/wA="}, "\u00e9\ud83d\ude00"])",
      R"([[true, false], [false, true]])",
  };
  for (int dtype = 1; dtype <= 23; ++dtype) {
    tensorflow::TensorProto p;
    p.set_dtype(static_cast<tensorflow::DataType>(dtype));
    p.mutable_tensor_shape()->add_dim()->set_size(3);
    p.add_float_val(1.25f);
    p.add_double_val(-2.5);
    p.add_int_val(-7);
    p.add_int64_val(1LL << 60);
    p.add_half_val(0x3c00);
    p.add_string_val(std::string("\xff\x00z", 3));
    p.add_bool_val(true);
    p.add_uint32_val(4000000000u);
    p.add_uint64_val(~0ULL);
    p.add_scomplex_val(1.f);
    p.add_scomplex_val(2.f);
    seeds.push_back(p.SerializeAsString());
    p.set_tensor_content(std::string(3 * 8, '\x41'));
    seeds.push_back(p.SerializeAsString());
  }
  return seeds;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    for (int i = 1; i < argc; ++i) {
      std::ifstream in(argv[i], std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      const std::string data = s.str();
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    }
    return 0;
  }
  const int iterations =
      std::getenv("FUZZ_ITERATIONS") ? std::atoi(std::getenv("FUZZ_ITERATIONS")) : 20000;
  std::mt19937_64 rng(20261126);
  const std::vector<std::string> seeds = Seeds();
  for (int i = 0; i < iterations; ++i) {
    std::string data = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !data.empty(); ++e) {
      const size_t at = rng() % data.size();
      switch (rng() % 4) {
        case 0: data[at] = static_cast<char>(rng()); break;
        case 1: data.erase(at, 1 + rng() % 3); break;
        case 2: data.insert(at, 1, static_cast<char>(rng())); break;
        default: data.resize(at); break;
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  std::cout << "codec_fuzz: " << iterations << " inputs, no failure\n";
  return 0;
}
