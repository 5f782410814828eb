// TfiAffine on TensorFlow's C++ kernel API (REGISTER_OP / OpKernel), for OpLibraryTest only:
// built against the venv's TensorFlow 2.21 it carries that build's C++ ABI, which TF Java
// 1.1.0's bundled TensorFlow 2.18 cannot bind (the test checks the client says so). The
// repository's op, ops/tfi_affine.cc, uses the C kernel API and loads everywhere.
#include "tensorflow/core/framework/common_shape_fns.h"
#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"

namespace tfinterop {

using ::tensorflow::DEVICE_CPU;
using ::tensorflow::OpKernel;
using ::tensorflow::OpKernelConstruction;
using ::tensorflow::OpKernelContext;
using ::tensorflow::Tensor;

REGISTER_OP("TfiAffine")
    .Input("x: T")
    .Output("y: T")
    .Attr("T: {float, double, int32, int64}")
    .Attr("a: float = 2.0")
    .Attr("b: float = 1.0")
    .SetShapeFn(::tensorflow::shape_inference::UnchangedShape)
    .Doc("y = a * x + b, elementwise (integers: a and b are truncated to integers first).");

template <typename T>
class TfiAffineOp : public OpKernel {
 public:
  explicit TfiAffineOp(OpKernelConstruction* ctx) : OpKernel(ctx) {
    OP_REQUIRES_OK(ctx, ctx->GetAttr("a", &a_));
    OP_REQUIRES_OK(ctx, ctx->GetAttr("b", &b_));
  }

  void Compute(OpKernelContext* ctx) override {
    const Tensor& x = ctx->input(0);
    Tensor* y = nullptr;
    OP_REQUIRES_OK(ctx, ctx->allocate_output(0, x.shape(), &y));
    const auto in = x.flat<T>();
    auto out = y->flat<T>();
    const T a = static_cast<T>(a_);
    const T b = static_cast<T>(b_);
    for (int64_t i = 0; i < in.size(); ++i) out(i) = a * in(i) + b;
  }

 private:
  float a_;
  float b_;
};

#define TFI_REGISTER(T) \
  REGISTER_KERNEL_BUILDER(  \
      Name("TfiAffine").Device(DEVICE_CPU).TypeConstraint<T>("T"), TfiAffineOp<T>)
TFI_REGISTER(float);
TFI_REGISTER(double);
TFI_REGISTER(int32_t);
TFI_REGISTER(int64_t);
#undef TFI_REGISTER

}  // namespace tfinterop
