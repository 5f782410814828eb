// TfiAffine: y = a * x + b, elementwise, for the `custom_op` zoo model.
//
// The smallest op a team would write itself: one CPU kernel per dtype, attributes, and a
// shape function. It is compiled against the installed TensorFlow's headers and library
// (tf.sysconfig flags; `make ops`), and loaded with tf.load_op_library, TF_LoadLibrary or
// the bundled server's --op_library. Real TF Serving needs it linked in at build time
// (docs/SERVER.md, "Custom ops").
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
