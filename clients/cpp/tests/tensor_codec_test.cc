#include "tensor_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

namespace tfinterop {
namespace {

using tensorflow::TensorProto;

template <typename T>
HostTensor Make(tensorflow::DataType dtype, std::vector<int64_t> shape, const std::vector<T>& v) {
  HostTensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.resize(v.size() * sizeof(T));
  std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

template <typename T>
std::vector<T> Values(const HostTensor& t) {
  std::vector<T> out(t.data.size() / sizeof(T));
  std::memcpy(out.data(), t.data.data(), t.data.size());
  return out;
}

float FromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// Typed fields and tensor_content both decode back to the same bits.
void ExpectRoundTrips(const HostTensor& t) {
  for (const bool content : {false, true}) {
    TensorProto proto;
    EncodeTensorProto(t, &proto, content);
    const auto back = DecodeTensorProto(proto);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->dtype, t.dtype);
    EXPECT_EQ(back->shape, t.shape);
    EXPECT_EQ(back->data, t.data) << DtypeName(t.dtype) << (content ? " content" : " typed");
    EXPECT_EQ(back->strings, t.strings);
  }
}

TEST(TensorCodecTest, FloatEdgeValuesKeepTheirBits) {
  using L = std::numeric_limits<float>;
  ExpectRoundTrips(Make<float>(tensorflow::DT_FLOAT, {2, 4},
                               {L::quiet_NaN(), FromBits(0x7fc00123), L::infinity(), -L::infinity(),
                                -0.0f, L::denorm_min(), L::max(), L::lowest()}));
}

TEST(TensorCodecTest, DoubleEdgeValuesKeepTheirBits) {
  using L = std::numeric_limits<double>;
  ExpectRoundTrips(
      Make<double>(tensorflow::DT_DOUBLE, {6},
                   {L::quiet_NaN(), L::infinity(), -L::infinity(), -0.0, L::denorm_min(), 0.1}));
}

TEST(TensorCodecTest, HalfAndBfloat16TravelAsRawBitsInHalfVal) {
  const std::vector<uint16_t> bits = {0x0000, 0x8000, 0x7c00, 0xfc00,
                                      0x7e00, 0x0001, 0x3c00, 0xffff};
  ExpectRoundTrips(Make<uint16_t>(tensorflow::DT_HALF, {8}, bits));
  ExpectRoundTrips(Make<uint16_t>(tensorflow::DT_BFLOAT16, {8}, bits));
  TensorProto proto;
  EncodeTensorProto(Make<uint16_t>(tensorflow::DT_HALF, {1}, {0xfc00}), &proto);
  ASSERT_EQ(proto.half_val_size(), 1);
  EXPECT_EQ(proto.half_val(0), 0xfc00);
}

TEST(TensorCodecTest, IntegerMinMaxRoundTripForEveryWidth) {
  ExpectRoundTrips(Make<int8_t>(tensorflow::DT_INT8, {3}, {-128, 0, 127}));
  ExpectRoundTrips(Make<int16_t>(tensorflow::DT_INT16, {3}, {-32768, 0, 32767}));
  ExpectRoundTrips(
      Make<int32_t>(tensorflow::DT_INT32, {3},
                    {std::numeric_limits<int32_t>::min(), 0, std::numeric_limits<int32_t>::max()}));
  ExpectRoundTrips(Make<int64_t>(tensorflow::DT_INT64, {4},
                                 {std::numeric_limits<int64_t>::min(), (int64_t{1} << 53) + 1, 0,
                                  std::numeric_limits<int64_t>::max()}));
  ExpectRoundTrips(Make<uint8_t>(tensorflow::DT_UINT8, {2}, {0, 255}));
  ExpectRoundTrips(Make<uint16_t>(tensorflow::DT_UINT16, {2}, {0, 65535}));
  ExpectRoundTrips(Make<uint32_t>(tensorflow::DT_UINT32, {2}, {0, 4294967295u}));
  ExpectRoundTrips(Make<uint64_t>(tensorflow::DT_UINT64, {2}, {0, ~uint64_t{0}}));
}

TEST(TensorCodecTest, BoolAndComplexRoundTrip) {
  ExpectRoundTrips(Make<uint8_t>(tensorflow::DT_BOOL, {3}, {1, 0, 1}));
  ExpectRoundTrips(Make<float>(tensorflow::DT_COMPLEX64, {2}, {1.5f, -2.f, 0.f, -0.f}));
  ExpectRoundTrips(Make<double>(tensorflow::DT_COMPLEX128, {1}, {1e300, -1e-300}));
}

TEST(TensorCodecTest, StringsKeepEmptyAndNonUtf8Bytes) {
  HostTensor t;
  t.dtype = tensorflow::DT_STRING;
  t.shape = {2, 2};
  t.strings = {"", std::string("\xff\xfe\x00z", 4), "h\xc3\xa9llo", std::string(300, 'x')};
  TensorProto proto;
  EncodeTensorProto(t, &proto);
  const auto back = DecodeTensorProto(proto);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->strings, t.strings);
  EXPECT_EQ(back->shape, t.shape);
}

TEST(TensorCodecTest, StringTensorContentUsesTfVarintEncoding) {
  TensorProto proto;
  proto.set_dtype(tensorflow::DT_STRING);
  proto.mutable_tensor_shape()->add_dim()->set_size(2);
  proto.set_tensor_content(
      std::string("\x02\x00"
                  "ab",
                  4));
  const auto back = DecodeTensorProto(proto);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->strings, (std::vector<std::string>{"ab", ""}));
  proto.set_tensor_content(
      std::string("\x05\x00"
                  "ab",
                  4));
  EXPECT_EQ(DecodeTensorProto(proto).status().code(), Code::kInvalidArgument);
}

TEST(TensorCodecTest, ShortTypedListIsPaddedWithItsLastValue) {
  TensorProto proto;
  proto.set_dtype(tensorflow::DT_FLOAT);
  proto.mutable_tensor_shape()->add_dim()->set_size(4);
  proto.add_float_val(1.f);
  proto.add_float_val(2.f);
  const auto t = DecodeTensorProto(proto);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(Values<float>(t.value()), (std::vector<float>{1, 2, 2, 2}));

  TensorProto strings;
  strings.set_dtype(tensorflow::DT_STRING);
  strings.mutable_tensor_shape()->add_dim()->set_size(3);
  strings.add_string_val("a");
  EXPECT_EQ(DecodeTensorProto(strings)->strings, (std::vector<std::string>{"a", "a", "a"}));
}

TEST(TensorCodecTest, EmptyTypedListMeansZeros) {
  TensorProto proto;
  proto.set_dtype(tensorflow::DT_INT64);
  proto.mutable_tensor_shape()->add_dim()->set_size(3);
  EXPECT_EQ(Values<int64_t>(DecodeTensorProto(proto).value()), (std::vector<int64_t>{0, 0, 0}));
}

TEST(TensorCodecTest, ScalarAndEmptyShapes) {
  TensorProto scalar;
  scalar.set_dtype(tensorflow::DT_INT32);
  scalar.add_int_val(-5);
  const auto s = DecodeTensorProto(scalar);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(Values<int32_t>(s.value()), (std::vector<int32_t>{-5}));
  ExpectRoundTrips(Make<float>(tensorflow::DT_FLOAT, {0, 3}, {}));
}

TensorProto Vector(tensorflow::DataType dtype, int64_t size) {
  TensorProto proto;
  proto.set_dtype(dtype);
  proto.mutable_tensor_shape()->add_dim()->set_size(size);
  return proto;
}

// Tensor::FromProto copies the first n values of a longer typed list and
// ignores the rest; TF Serving serves such a request.
TEST(TensorCodecTest, LongerTypedListKeepsItsFirstValues) {
  struct Row {
    const char* name;
    TensorProto proto;
    HostTensor want;
  };
  std::vector<Row> rows;
  {
    TensorProto p = Vector(tensorflow::DT_FLOAT, 2);
    for (float v : {1.f, 2.f, 3.f}) p.add_float_val(v);
    rows.push_back({"float", p, Make<float>(tensorflow::DT_FLOAT, {2}, {1, 2})});
  }
  {
    TensorProto p = Vector(tensorflow::DT_INT64, 2);
    for (int64_t v : {int64_t{-9}, std::numeric_limits<int64_t>::max(), int64_t{5}, int64_t{6}}) {
      p.add_int64_val(v);
    }
    rows.push_back(
        {"int64", p,
         Make<int64_t>(tensorflow::DT_INT64, {2}, {-9, std::numeric_limits<int64_t>::max()})});
  }
  {
    TensorProto p = Vector(tensorflow::DT_HALF, 2);
    for (int v : {0x3c00, 0x7e00, 0xfc00}) p.add_half_val(v);
    rows.push_back({"half", p, Make<uint16_t>(tensorflow::DT_HALF, {2}, {0x3c00, 0x7e00})});
  }
  {
    TensorProto p = Vector(tensorflow::DT_UINT8, 1);
    for (int v : {255, 7}) p.add_int_val(v);
    rows.push_back({"uint8", p, Make<uint8_t>(tensorflow::DT_UINT8, {1}, {255})});
  }
  {
    // Truncated by (re, im) pairs, not by components.
    TensorProto p = Vector(tensorflow::DT_COMPLEX64, 1);
    for (float v : {1.f, -1.f, 2.f, -2.f}) p.add_scomplex_val(v);
    rows.push_back({"complex64", p, Make<float>(tensorflow::DT_COMPLEX64, {1}, {1, -1})});
  }
  {
    // components / 2 pairs, as ProtoHelper<complex128>::NumElements counts:
    // the dangling 7 is never read and the one whole pair pads the rest.
    TensorProto p = Vector(tensorflow::DT_COMPLEX128, 2);
    for (double v : {3., -3., 7.}) p.add_dcomplex_val(v);
    rows.push_back(
        {"complex128 odd", p, Make<double>(tensorflow::DT_COMPLEX128, {2}, {3, -3, 3, -3})});
  }
  for (const Row& row : rows) {
    const auto got = DecodeTensorProto(row.proto);
    ASSERT_TRUE(got.ok()) << row.name << ": " << got.status().ToString();
    EXPECT_EQ(got->shape, row.want.shape) << row.name;
    EXPECT_EQ(got->data, row.want.data) << row.name;
  }

  TensorProto strings = Vector(tensorflow::DT_STRING, 2);
  for (const char* v : {"a", "b", "c"}) strings.add_string_val(v);
  EXPECT_EQ(DecodeTensorProto(strings)->strings, (std::vector<std::string>{"a", "b"}));
}

TEST(TensorCodecTest, TensorContentSizeMismatchIsInvalidArgument) {
  TensorProto proto;
  proto.set_dtype(tensorflow::DT_FLOAT);
  proto.mutable_tensor_shape()->add_dim()->set_size(28);
  proto.set_tensor_content(std::string(4 * 27, '\0'));
  EXPECT_EQ(DecodeTensorProto(proto).status().code(), Code::kInvalidArgument);
}

TEST(TensorCodecTest, AbsurdNegativeOrUnknownShapesAreRefusedBeforeAllocating) {
  TensorProto huge;
  huge.set_dtype(tensorflow::DT_FLOAT);
  huge.mutable_tensor_shape()->add_dim()->set_size(int64_t{1} << 40);
  huge.mutable_tensor_shape()->add_dim()->set_size(int64_t{1} << 40);
  EXPECT_EQ(DecodeTensorProto(huge).status().code(), Code::kInvalidArgument);

  TensorProto negative;
  negative.set_dtype(tensorflow::DT_FLOAT);
  negative.mutable_tensor_shape()->add_dim()->set_size(-1);
  EXPECT_EQ(DecodeTensorProto(negative).status().code(), Code::kInvalidArgument);

  TensorProto unknown;
  unknown.set_dtype(tensorflow::DT_FLOAT);
  unknown.mutable_tensor_shape()->set_unknown_rank(true);
  EXPECT_EQ(DecodeTensorProto(unknown).status().code(), Code::kInvalidArgument);
}

TEST(TensorCodecTest, NonServingDtypesAreInvalidArgument) {
  for (auto dtype : {tensorflow::DT_INVALID, tensorflow::DT_RESOURCE, tensorflow::DT_VARIANT,
                     tensorflow::DT_FLOAT_REF}) {
    TensorProto proto;
    proto.set_dtype(dtype);
    EXPECT_EQ(DecodeTensorProto(proto).status().code(), Code::kInvalidArgument) << DtypeName(dtype);
  }
}

TEST(TensorCodecTest, TensorContentWinsOverTypedFields) {
  TensorProto proto;
  proto.set_dtype(tensorflow::DT_INT32);
  proto.mutable_tensor_shape()->add_dim()->set_size(1);
  const int32_t seven = 7;
  proto.set_tensor_content(std::string(reinterpret_cast<const char*>(&seven), 4));
  proto.add_int_val(9);
  EXPECT_EQ(Values<int32_t>(DecodeTensorProto(proto).value()), (std::vector<int32_t>{7}));
}

TEST(TensorCodecTest, TypedEncodingMatchesTfServingFields) {
  TensorProto proto;
  EncodeTensorProto(Make<uint8_t>(tensorflow::DT_UINT8, {2}, {7, 255}), &proto);
  EXPECT_EQ(proto.int_val_size(), 2);
  EXPECT_EQ(proto.int_val(1), 255);
  EXPECT_TRUE(proto.tensor_content().empty());
  EncodeTensorProto(Make<uint64_t>(tensorflow::DT_UINT64, {1}, {~uint64_t{0}}), &proto);
  EXPECT_EQ(proto.uint64_val(0), ~uint64_t{0});
  EXPECT_EQ(proto.int_val_size(), 0);  // Encode clears what was there
}

TEST(TensorCodecTest, ScalarEncodingCarriesAnEmptyShapeAsAsProtoFieldDoes) {
  TensorProto proto;
  EncodeTensorProto(Make<uint8_t>(tensorflow::DT_BOOL, {}, {1}), &proto);
  EXPECT_TRUE(proto.has_tensor_shape());
  EXPECT_EQ(proto.tensor_shape().dim_size(), 0);
  EncodeTensorProto(Make<float>(tensorflow::DT_FLOAT, {}, {2.5f}), &proto, /*as_content=*/true);
  EXPECT_TRUE(proto.has_tensor_shape());
}

TEST(TensorCodecTest, DtypeNamesAreTensorFlowsShortNames) {
  EXPECT_EQ(DtypeName(tensorflow::DT_FLOAT), "float");
  EXPECT_EQ(DtypeName(tensorflow::DT_STRING), "string");
  EXPECT_EQ(DtypeName(tensorflow::DT_BFLOAT16), "bfloat16");
  EXPECT_EQ(DtypeSize(tensorflow::DT_STRING), 0u);
  EXPECT_TRUE(IsServingDtype(tensorflow::DT_STRING));
  EXPECT_FALSE(IsServingDtype(tensorflow::DT_VARIANT));
}

}  // namespace
}  // namespace tfinterop
