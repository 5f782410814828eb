// TfiAffine: y = a * x + b, elementwise, for the `custom_op` zoo model (docs/SERVER.md,
// "Custom ops").
//
// The smallest op a team would write: a CPU kernel for float, double, int32 and int64,
// attributes a and b, and a shape function. It is written against TensorFlow's C kernel API
// (tensorflow/c/kernels.h, ops.h) rather than the C++ one (REGISTER_OP / OpKernel): C++-API
// symbols carry the building TensorFlow's C++ ABI (abseil's versioned namespace, class
// layouts), so a kernel built against the venv's TensorFlow 2.21 cannot bind to the 2.18
// libtensorflow_framework.so.2 that TF Java 1.1.0 bundles (undefined absl::lts_20250814
// symbols at dlopen). This one binds only C functions, which both export, so one build loads
// into Python (tf.load_op_library), the C API (TF_LoadLibrary: Go, C++, the bundled server)
// and TF Java (TensorFlow.loadLibrary). Built by python/tfinterop/models/ops.py (`make ops`)
// with tf.sysconfig's flags.
#include <cstdint>
#include <vector>

#include "tensorflow/c/kernels.h"
#include "tensorflow/c/ops.h"
#include "tensorflow/c/tf_status.h"
#include "tensorflow/c/tf_tensor.h"

namespace {

struct Affine {
  float a = 2.0f;
  float b = 1.0f;
};

void UnchangedShape(TF_ShapeInferenceContext* ctx, TF_Status* status) {
  TF_ShapeHandle* shape = TF_NewShapeHandle();
  TF_ShapeInferenceContextGetInput(ctx, 0, shape, status);
  if (TF_GetCode(status) == TF_OK) {
    TF_ShapeInferenceContextSetOutput(ctx, 0, shape, status);
  }
  TF_DeleteShapeHandle(shape);
}

void* Create(TF_OpKernelConstruction* ctx) {
  auto* kernel = new Affine;
  TF_Status* status = TF_NewStatus();
  TF_OpKernelConstruction_GetAttrFloat(ctx, "a", &kernel->a, status);
  if (TF_GetCode(status) == TF_OK) {
    TF_OpKernelConstruction_GetAttrFloat(ctx, "b", &kernel->b, status);
  }
  if (TF_GetCode(status) != TF_OK) {
    TF_OpKernelConstruction_Failure(ctx, status);
  }
  TF_DeleteStatus(status);
  return kernel;
}

// Integers truncate a and b first, as the C++ kernel does.
template <typename T>
void Apply(const Affine& k, const TF_Tensor* x, TF_Tensor* y) {
  const T* in = static_cast<const T*>(TF_TensorData(x));
  T* out = static_cast<T*>(TF_TensorData(y));
  const T a = static_cast<T>(k.a);
  const T b = static_cast<T>(k.b);
  for (int64_t i = 0, n = TF_TensorElementCount(x); i < n; ++i) out[i] = a * in[i] + b;
}

void Compute(void* kernel, TF_OpKernelContext* ctx) {
  TF_Status* status = TF_NewStatus();
  TF_Tensor* x = nullptr;
  TF_GetInput(ctx, 0, &x, status);
  if (TF_GetCode(status) == TF_OK) {
    const int rank = TF_NumDims(x);
    std::vector<int64_t> dims(rank);
    for (int i = 0; i < rank; ++i) dims[i] = TF_Dim(x, i);
    TF_Tensor* y = TF_AllocateOutput(ctx, 0, TF_TensorType(x), dims.data(), rank,
                                     TF_TensorByteSize(x), status);
    if (TF_GetCode(status) == TF_OK) {
      const Affine& k = *static_cast<Affine*>(kernel);
      switch (TF_TensorType(x)) {
        case TF_FLOAT: Apply<float>(k, x, y); break;
        case TF_DOUBLE: Apply<double>(k, x, y); break;
        case TF_INT32: Apply<int32_t>(k, x, y); break;
        case TF_INT64: Apply<int64_t>(k, x, y); break;
        default:  // the registration's type constraints admit no other dtype
          break;
      }
      TF_DeleteTensor(y);
    }
    TF_DeleteTensor(x);
  }
  if (TF_GetCode(status) != TF_OK) {
    TF_OpKernelContext_Failure(ctx, status);
  }
  TF_DeleteStatus(status);
}

void Delete(void* kernel) { delete static_cast<Affine*>(kernel); }

// Runs when TF_LoadLibrary opens the library, as REGISTER_OP and REGISTER_KERNEL_BUILDER do.
bool Register() {
  TF_Status* status = TF_NewStatus();
  TF_OpDefinitionBuilder* op = TF_NewOpDefinitionBuilder("TfiAffine");
  TF_OpDefinitionBuilderAddInput(op, "x: T");
  TF_OpDefinitionBuilderAddOutput(op, "y: T");
  TF_OpDefinitionBuilderAddAttr(op, "T: {float, double, int32, int64}");
  TF_OpDefinitionBuilderAddAttr(op, "a: float = 2.0");
  TF_OpDefinitionBuilderAddAttr(op, "b: float = 1.0");
  TF_OpDefinitionBuilderSetShapeInferenceFunction(op, UnchangedShape);
  TF_RegisterOpDefinition(op, status);
  for (TF_DataType dtype : {TF_FLOAT, TF_DOUBLE, TF_INT32, TF_INT64}) {
    if (TF_GetCode(status) != TF_OK) break;
    TF_KernelBuilder* builder = TF_NewKernelBuilder("TfiAffine", "CPU", Create, Compute, Delete);
    TF_KernelBuilder_TypeConstraint(builder, "T", dtype, status);
    if (TF_GetCode(status) != TF_OK) {
      TF_DeleteKernelBuilder(builder);
      break;
    }
    TF_RegisterKernelBuilder("TfiAffineOp", builder, status);  // takes the builder
  }
  const bool ok = TF_GetCode(status) == TF_OK;
  TF_DeleteStatus(status);
  return ok;
}

[[maybe_unused]] const bool registered = Register();

}  // namespace
