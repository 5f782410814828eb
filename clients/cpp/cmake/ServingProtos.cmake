# C++ and gRPC code generated at build time from the API descriptor set
# (build/protos/serving.pb, written by `tfinterop protos`), never from copied
# .proto files. Only the files the client needs are generated and compiled,
# once, into `serving_protos`; google/protobuf/{any,wrappers}.proto come with
# Debian's libprotobuf. grpc_service.proto (package `inference`, the Open
# Inference Protocol as Triton ships it in tritonclient) sits at the root of
# the set and imports model_config.proto.

set(TFINTEROP_PROTO_FILES
  grpc_service.proto
  model_config.proto
  tensorflow/core/example/feature.proto
  tensorflow/core/example/example.proto
  tensorflow/core/framework/attr_value.proto
  tensorflow/core/framework/full_type.proto
  tensorflow/core/framework/function.proto
  tensorflow/core/framework/graph.proto
  tensorflow/core/framework/graph_debug_info.proto
  tensorflow/core/framework/node_def.proto
  tensorflow/core/framework/op_def.proto
  tensorflow/core/framework/resource_handle.proto
  tensorflow/core/framework/tensor.proto
  tensorflow/core/framework/tensor_shape.proto
  tensorflow/core/framework/types.proto
  tensorflow/core/framework/variable.proto
  tensorflow/core/framework/versions.proto
  tensorflow/core/protobuf/meta_graph.proto
  tensorflow/core/protobuf/saved_object_graph.proto
  tensorflow/core/protobuf/saver.proto
  tensorflow/core/protobuf/struct.proto
  tensorflow/core/protobuf/trackable_object_graph.proto
  tensorflow_serving/apis/classification.proto
  tensorflow_serving/apis/get_model_metadata.proto
  tensorflow_serving/apis/inference.proto
  tensorflow_serving/apis/input.proto
  tensorflow_serving/apis/model.proto
  tensorflow_serving/apis/predict.proto
  tensorflow_serving/apis/prediction_service.proto
  tensorflow_serving/apis/regression.proto
  tensorflow_serving/config/file_system_storage_path_source.proto
  tensorflow_serving/config/log_collector_config.proto
  tensorflow_serving/config/logging_config.proto
  tensorflow_serving/config/model_server_config.proto
)
set(TFINTEROP_GRPC_FILES tensorflow_serving/apis/prediction_service.proto grpc_service.proto)

find_program(PROTOC protoc REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

set(PROTO_OUT ${CMAKE_CURRENT_BINARY_DIR}/gen)
set(PROTO_SRCS)
set(PROTO_HDRS)
foreach(f IN LISTS TFINTEROP_PROTO_FILES)
  string(REGEX REPLACE "\\.proto$" "" stem ${f})
  list(APPEND PROTO_SRCS ${PROTO_OUT}/${stem}.pb.cc)
  list(APPEND PROTO_HDRS ${PROTO_OUT}/${stem}.pb.h)
endforeach()
foreach(f IN LISTS TFINTEROP_GRPC_FILES)
  string(REGEX REPLACE "\\.proto$" "" stem ${f})
  list(APPEND PROTO_SRCS ${PROTO_OUT}/${stem}.grpc.pb.cc)
  list(APPEND PROTO_HDRS ${PROTO_OUT}/${stem}.grpc.pb.h)
endforeach()

# Regenerated only when the descriptor set changes.
add_custom_command(
  OUTPUT ${PROTO_SRCS} ${PROTO_HDRS}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PROTO_OUT}
  COMMAND ${PROTOC} --descriptor_set_in=${TFINTEROP_DESCRIPTOR_SET}
          --cpp_out=${PROTO_OUT} ${TFINTEROP_PROTO_FILES}
  COMMAND ${PROTOC} --descriptor_set_in=${TFINTEROP_DESCRIPTOR_SET}
          --grpc_out=${PROTO_OUT} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN}
          ${TFINTEROP_GRPC_FILES}
  DEPENDS ${TFINTEROP_DESCRIPTOR_SET}
  COMMENT "Generating C++ and gRPC code from ${TFINTEROP_DESCRIPTOR_SET}"
  VERBATIM)

# TensorProto and the files it imports: all the codec fuzz target needs.
set(TFINTEROP_TENSOR_PROTO_SRCS)
foreach(stem tensor resource_handle tensor_shape types)
  list(APPEND TFINTEROP_TENSOR_PROTO_SRCS ${PROTO_OUT}/tensorflow/core/framework/${stem}.pb.cc)
endforeach()

add_library(serving_protos STATIC ${PROTO_SRCS})
target_include_directories(serving_protos SYSTEM PUBLIC ${PROTO_OUT})
target_link_libraries(serving_protos PUBLIC protobuf::libprotobuf PkgConfig::GRPCPP)
# Generated code is not ours to warn about.
target_compile_options(serving_protos PRIVATE -w)
