// HostTensor <-> TF_Tensor through the dlsym'd C API, every serving dtype.
#include "tf_tensor.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

namespace tfinterop {
namespace {

const TfApi& Api() {
  const auto api = LoadTfApi(DefaultTfDir());
  if (!api.ok()) ADD_FAILURE() << api.status().ToString();
  return *api.value();
}

template <typename T>
HostTensor Make(tensorflow::DataType dtype, std::vector<int64_t> shape, const std::vector<T>& v) {
  HostTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.resize(v.size() * sizeof(T));
  std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

void ExpectRoundTrips(const HostTensor& t) {
  const TfApi& api = Api();
  auto tf = ToTfTensor(api, t);
  ASSERT_TRUE(tf.ok()) << tf.status().ToString();
  EXPECT_EQ(static_cast<int>(api.TF_TensorType(tf.value().get())), static_cast<int>(t.dtype));
  const auto back = FromTfTensor(api, tf.value().get());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->shape, t.shape);
  EXPECT_EQ(back->data, t.data) << DtypeName(t.dtype);
  EXPECT_EQ(back->strings, t.strings);

  // TensorProto <-> TF_Tensor without the host form (the in-process
  // transport's path) agrees with the codec, from typed fields and from
  // tensor_content, and encodes the same bytes.
  for (const bool content : {false, true}) {
    if (content && t.dtype == tensorflow::DT_STRING) continue;
    tensorflow::TensorProto proto;
    EncodeTensorProto(t, &proto, content);
    auto direct = ToTfTensor(api, proto);
    ASSERT_TRUE(direct.ok()) << direct.status().ToString();
    const auto seen = FromTfTensor(api, direct.value().get());
    ASSERT_TRUE(seen.ok());
    EXPECT_EQ(seen->shape, t.shape);
    EXPECT_EQ(seen->data, t.data) << DtypeName(t.dtype) << (content ? " content" : " typed");
    EXPECT_EQ(seen->strings, t.strings);
    tensorflow::TensorProto want;
    tensorflow::TensorProto got;
    EncodeTensorProto(t, &want);
    ASSERT_TRUE(ToTensorProto(api, direct.value().get(), &got).ok());
    EXPECT_EQ(got.SerializeAsString(), want.SerializeAsString()) << DtypeName(t.dtype);
  }
}

TEST(TfTensorTest, TheLibraryLoadsAndReportsItsVersion) {
  EXPECT_STRNE(Api().TF_Version(), "");
  // A second load with another folder returns the same table: TF loads once.
  const auto again = LoadTfApi("/nonexistent");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value(), &Api());
}

TEST(TfTensorTest, EveryNumericDtypeRoundTripsBitExactly) {
  using F = std::numeric_limits<float>;
  ExpectRoundTrips(Make<float>(
      tensorflow::DT_FLOAT, {2, 3},
      {F::quiet_NaN(), F::infinity(), -F::infinity(), -0.0f, F::denorm_min(), F::max()}));
  ExpectRoundTrips(Make<double>(tensorflow::DT_DOUBLE, {2}, {-0.0, 1e-310}));
  ExpectRoundTrips(Make<uint16_t>(tensorflow::DT_HALF, {3}, {0x7c00, 0x8000, 0x0001}));
  ExpectRoundTrips(Make<uint16_t>(tensorflow::DT_BFLOAT16, {2}, {0x7f80, 0x3f80}));
  ExpectRoundTrips(Make<int8_t>(tensorflow::DT_INT8, {2}, {-128, 127}));
  ExpectRoundTrips(Make<int16_t>(tensorflow::DT_INT16, {2}, {-32768, 32767}));
  ExpectRoundTrips(Make<int32_t>(tensorflow::DT_INT32, {2}, {INT32_MIN, INT32_MAX}));
  ExpectRoundTrips(Make<int64_t>(tensorflow::DT_INT64, {2}, {INT64_MIN, INT64_MAX}));
  ExpectRoundTrips(Make<uint8_t>(tensorflow::DT_UINT8, {1}, {255}));
  ExpectRoundTrips(Make<uint16_t>(tensorflow::DT_UINT16, {1}, {65535}));
  ExpectRoundTrips(Make<uint32_t>(tensorflow::DT_UINT32, {1}, {UINT32_MAX}));
  ExpectRoundTrips(Make<uint64_t>(tensorflow::DT_UINT64, {1}, {UINT64_MAX}));
  ExpectRoundTrips(Make<uint8_t>(tensorflow::DT_BOOL, {2}, {0, 1}));
  ExpectRoundTrips(Make<float>(tensorflow::DT_COMPLEX64, {1}, {1.f, -1.f}));
  ExpectRoundTrips(Make<float>(tensorflow::DT_FLOAT, {0, 5}, {}));
  ExpectRoundTrips(Make<float>(tensorflow::DT_FLOAT, {}, {3.5f}));
}

TEST(TfTensorTest, StringsBecomeTfTStringsIncludingEmptyLongAndNonUtf8) {
  HostTensor t;
  t.dtype = tensorflow::DT_STRING;
  t.shape = {2, 2};
  // Short strings live inline in a TF_TString, long ones on the heap: both
  // must come back, and the heap ones must be released (the leak check).
  t.strings = {"", std::string("\xff\x00\xfe", 3), std::string(1000, 'x'), "small"};
  ExpectRoundTrips(t);
}

TEST(TfTensorTest, AProtoIsFittedToItsShapeAsTheCodecFitsIt) {
  const TfApi& api = Api();
  tensorflow::TensorProto proto;
  proto.set_dtype(tensorflow::DT_INT32);
  proto.mutable_tensor_shape()->add_dim()->set_size(4);
  for (const int v : {7, 8}) proto.add_int_val(v);  // short: padded with the last value
  auto padded = ToTfTensor(api, proto);
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(FromTfTensor(api, padded.value().get())->data, DecodeTensorProto(proto)->data);
  for (const int v : {9, 10, 11}) proto.add_int_val(v);  // long: the first four kept
  auto truncated = ToTfTensor(api, proto);
  ASSERT_TRUE(truncated.ok());
  EXPECT_EQ(FromTfTensor(api, truncated.value().get())->data, DecodeTensorProto(proto)->data);

  proto.set_tensor_content(std::string(15, '\0'));  // 4 int32 need 16 bytes
  EXPECT_EQ(ToTfTensor(api, proto).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ToTfTensor(api, proto).status().message(), DecodeTensorProto(proto).status().message());
  proto.set_dtype(tensorflow::DT_RESOURCE);
  EXPECT_EQ(ToTfTensor(api, proto).status().code(), Code::kInvalidArgument);
}

TEST(TfTensorTest, ASizeMismatchIsRefused) {
  HostTensor t = Make<float>(tensorflow::DT_FLOAT, {3}, {1.f, 2.f});
  EXPECT_EQ(ToTfTensor(Api(), t).status().code(), Code::kInternal);
}

}  // namespace
}  // namespace tfinterop
