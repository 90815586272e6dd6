// Structure-aware mutation for the ONNX fuzz targets (linked only into the libFuzzer builds): most
// byte-level mutations of a model break the protobuf and stop in the parser, so half of the time
// a model that parses is changed as a model instead (a dimension, an attribute, an operand, a
// node, tensor bytes) and serialized again. Byte-level mutation stays for the rest.
#include <cstdint>
#include <cstring>
#include <onnx/onnx_pb.h>
#include <random>
#include <string>
#include <vector>

extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace {

// Values that reach the interesting edges of shapes and attributes.
int64_t interestingInt(std::mt19937_64 &rng) {
  static const int64_t values[] = {0,
                                   1,
                                   2,
                                   3,
                                   -1,
                                   -2,
                                   7,
                                   8,
                                   16,
                                   255,
                                   256,
                                   65535,
                                   1 << 20,
                                   int64_t{1} << 31,
                                   int64_t{1} << 40,
                                   int64_t{1} << 62,
                                   INT64_MAX,
                                   INT64_MIN};
  if (rng() % 2) return static_cast<int64_t>(rng() % 10);
  return values[rng() % std::size(values)];
}

void mutateDims(google::protobuf::RepeatedField<int64_t> &dims, std::mt19937_64 &rng) {
  if (dims.empty() || rng() % 4 == 0) {
    dims.Add(interestingInt(rng));
  } else if (rng() % 4 == 0) {
    dims.RemoveLast();
  } else {
    dims.Set(static_cast<int>(rng() % static_cast<uint64_t>(dims.size())), interestingInt(rng));
  }
}

void mutateString(std::string &bytes, std::mt19937_64 &rng) {
  if (bytes.empty()) return;
  size_t size = bytes.size();
  bytes.resize(size + 16);
  size = LLVMFuzzerMutate(reinterpret_cast<uint8_t *>(bytes.data()), size, bytes.size());
  bytes.resize(size);
  (void)rng;
}

void mutateTensor(onnx::TensorProto &t, std::mt19937_64 &rng) {
  switch (rng() % 3) {
  case 0:
    mutateDims(*t.mutable_dims(), rng);
    break;
  case 1:
    t.set_data_type(static_cast<int32_t>(rng() % 27));
    break;
  default:
    if (t.has_raw_data()) mutateString(*t.mutable_raw_data(), rng);
    break;
  }
}

void mutateModel(onnx::ModelProto &model, std::mt19937_64 &rng) {
  onnx::GraphProto &g = *model.mutable_graph();
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  switch (rng() % 8) {
  case 0: // a graph input's dimension
    if (g.input_size() > 0) {
      auto *shape = g.mutable_input(pick(g.input_size()))
                        ->mutable_type()
                        ->mutable_tensor_type()
                        ->mutable_shape();
      if (shape->dim_size() == 0 || rng() % 4 == 0)
        shape->add_dim()->set_dim_value(interestingInt(rng));
      else
        shape->mutable_dim(pick(shape->dim_size()))->set_dim_value(interestingInt(rng));
    }
    break;
  case 1: // an initializer
    if (g.initializer_size() > 0)
      mutateTensor(*g.mutable_initializer(pick(g.initializer_size())), rng);
    break;
  case 2: // an attribute of a node
    if (g.node_size() > 0) {
      onnx::NodeProto &n = *g.mutable_node(pick(g.node_size()));
      if (n.attribute_size() == 0) break;
      onnx::AttributeProto &a = *n.mutable_attribute(pick(n.attribute_size()));
      if (a.type() == onnx::AttributeProto::INT)
        a.set_i(interestingInt(rng));
      else if (a.type() == onnx::AttributeProto::INTS && a.ints_size() > 0)
        a.set_ints(pick(a.ints_size()), interestingInt(rng));
      else if (a.type() == onnx::AttributeProto::INTS)
        a.add_ints(interestingInt(rng));
      else if (a.type() == onnx::AttributeProto::FLOAT)
        a.set_f(static_cast<float>(interestingInt(rng)));
      else if (a.type() == onnx::AttributeProto::TENSOR)
        mutateTensor(*a.mutable_t(), rng);
      else if (a.type() == onnx::AttributeProto::STRING)
        mutateString(*a.mutable_s(), rng);
    }
    break;
  case 3: // an operand of a node rewired to another value
    if (g.node_size() > 1) {
      onnx::NodeProto &from = *g.mutable_node(pick(g.node_size()));
      const onnx::NodeProto &to = g.node(pick(g.node_size()));
      if (from.input_size() > 0 && to.output_size() > 0)
        from.set_input(pick(from.input_size()), to.output(pick(to.output_size())));
    }
    break;
  case 4: // a node removed
    if (g.node_size() > 0) {
      g.mutable_node()->SwapElements(pick(g.node_size()), g.node_size() - 1);
      g.mutable_node()->RemoveLast();
    }
    break;
  case 5: // a node's op type taken from another node
    if (g.node_size() > 1)
      g.mutable_node(pick(g.node_size()))->set_op_type(g.node(pick(g.node_size())).op_type());
    break;
  case 6: // an operand dropped or emptied
    if (g.node_size() > 0) {
      onnx::NodeProto &n = *g.mutable_node(pick(g.node_size()));
      if (n.input_size() == 0) break;
      if (rng() % 2)
        n.mutable_input()->RemoveLast();
      else
        n.set_input(pick(n.input_size()), "");
    }
    break;
  default: // the opset version
    if (model.opset_import_size() > 0)
      model.mutable_opset_import(pick(model.opset_import_size()))
          ->set_version(static_cast<int64_t>(rng() % 24));
    break;
  }
}

} // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t maxSize,
                                          unsigned int seed) {
  std::mt19937_64 rng(seed);
  onnx::ModelProto model;
  if (rng() % 2 == 0 || !model.ParseFromArray(data, static_cast<int>(size)) || !model.has_graph())
    return LLVMFuzzerMutate(data, size, maxSize);
  int rounds = 1 + static_cast<int>(rng() % 3);
  for (int i = 0; i < rounds; ++i) mutateModel(model, rng);
  std::string out;
  if (!model.SerializeToString(&out) || out.size() > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  std::memcpy(data, out.data(), out.size());
  return out.size();
}
