// TfiProbe: a test op whose kernel calls into protobuf, for op_library_test.cc.
//
// Its kernel serializes and re-parses a TensorShapeProto of its input's shape
// and returns 1000 * (serialized size) + (parsed rank). The library imports
// protobuf symbols that Debian's libprotobuf (linked by tfinterop-cpp, so in
// the process's global scope) also defines, e.g.
// google::protobuf::MessageLite::SerializeAsString() const: loaded without
// RTLD_DEEPBIND they bind there, to a protobuf that does not know TF's
// message classes.
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"

namespace tfinterop {

REGISTER_OP("TfiProbe")
    .Input("x: float")
    .Output("code: int64")
    .SetShapeFn(::tensorflow::shape_inference::ScalarShape);

class TfiProbeOp : public ::tensorflow::OpKernel {
 public:
  explicit TfiProbeOp(::tensorflow::OpKernelConstruction* ctx) : OpKernel(ctx) {}

  void Compute(::tensorflow::OpKernelContext* ctx) override {
    const ::tensorflow::Tensor& x = ctx->input(0);
    ::tensorflow::TensorShapeProto shape;
    for (int i = 0; i < x.dims(); ++i) shape.add_dim()->set_size(x.dim_size(i));
    const std::string bytes = shape.SerializeAsString();
    ::tensorflow::TensorShapeProto parsed;
    OP_REQUIRES(ctx, parsed.ParseFromString(bytes),
                ::tensorflow::errors::Internal("TensorShapeProto does not parse back"));
    ::tensorflow::Tensor* code = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, ::tensorflow::TensorShape({}), &code));
    code->scalar<int64_t>()() = static_cast<int64_t>(bytes.size()) * 1000 + parsed.dim_size();
  }
};

REGISTER_KERNEL_BUILDER(Name("TfiProbe").Device(::tensorflow::DEVICE_CPU), TfiProbeOp);

}  // namespace tfinterop
