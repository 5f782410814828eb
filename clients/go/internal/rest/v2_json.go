package rest

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"tfinterop.dev/clients/go/internal/gen/inference"
	"tfinterop.dev/clients/go/internal/oip"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
)

// The Open Inference Protocol's JSON form of ModelInferRequest and
// ModelInferResponse (docs/CONTRACT.md "v2 transports", REST):
//
//	{"id"?, "parameters"?, "inputs": [{"name", "shape", "datatype", "parameters"?, "data"}],
//	 "outputs"?: [{"name", "parameters"?}]}
//
// data is the flat row-major list of the tensor's values. The request's
// values are written as the message holds them: a typed field's values as
// they are, so a case that sends a count or a value the shape or datatype
// does not allow reaches the server unchanged, and raw contents decoded by
// the datatype. Numbers follow the rest mode's rules (formatFloat): floats
// as the shortest form of their exact double value with a point or an
// exponent, NaN and ±Infinity as bare tokens, integers exactly.

// inferBody writes the JSON request for req. INVALID_ARGUMENT for a request
// JSON cannot express (raw contents that do not fit their datatype, contents
// in another datatype's field, raw and typed contents mixed), UNIMPLEMENTED
// for BYTES that are not valid UTF-8 (a JSON string cannot hold them:
// open-inference-protocol#12).
func inferBody(req *inference.ModelInferRequest) ([]byte, error) {
	raw := req.GetRawInputContents()
	if len(raw) > 0 && len(raw) != len(req.GetInputs()) {
		return nil, status.Errorf(status.InvalidArgument, "raw_input_contents holds %d tensors for %d inputs", len(raw), len(req.GetInputs()))
	}
	w := &objectWriter{buf: &bytes.Buffer{}}
	w.buf.WriteByte('{')
	if id := req.GetId(); id != "" {
		w.key("id")
		writeJSONString(w.buf, id)
	}
	if params := req.GetParameters(); len(params) > 0 {
		w.key("parameters")
		if err := writeParameters(w.buf, params); err != nil {
			return nil, err
		}
	}
	w.key("inputs")
	w.buf.WriteByte('[')
	for i, in := range req.GetInputs() {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		var rawInput []byte
		if len(raw) > 0 {
			rawInput = raw[i]
		}
		if err := writeInput(w.buf, in, len(raw) > 0, rawInput); err != nil {
			return nil, err
		}
	}
	w.buf.WriteByte(']')
	if outputs := req.GetOutputs(); len(outputs) > 0 {
		w.key("outputs")
		w.buf.WriteByte('[')
		for i, out := range outputs {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			o := &objectWriter{buf: w.buf}
			o.buf.WriteByte('{')
			o.key("name")
			writeJSONString(o.buf, out.GetName())
			if params := out.GetParameters(); len(params) > 0 {
				o.key("parameters")
				if err := writeParameters(o.buf, params); err != nil {
					return nil, err
				}
			}
			o.buf.WriteByte('}')
		}
		w.buf.WriteByte(']')
	}
	w.buf.WriteByte('}')
	return w.buf.Bytes(), nil
}

// objectWriter writes an object's member names with the commas between them.
type objectWriter struct {
	buf     *bytes.Buffer
	members int
}

func (o *objectWriter) key(name string) {
	if o.members > 0 {
		o.buf.WriteByte(',')
	}
	o.members++
	writeJSONString(o.buf, name)
	o.buf.WriteByte(':')
}

func writeJSONString(buf *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // a Go string always marshals
	buf.Write(enc)
}

// writeInput writes one {"name", "shape", "datatype", "parameters"?, "data"}.
func writeInput(buf *bytes.Buffer, in *inference.ModelInferRequest_InferInputTensor, isRaw bool, raw []byte) error {
	name := in.GetName()
	d, known := oip.DType(in.GetDatatype())
	o := &objectWriter{buf: buf}
	buf.WriteByte('{')
	o.key("name")
	writeJSONString(buf, name)
	o.key("shape")
	buf.WriteByte('[')
	for i, dim := range in.GetShape() {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(strconv.FormatInt(dim, 10))
	}
	buf.WriteByte(']')
	o.key("datatype")
	writeJSONString(buf, in.GetDatatype())
	if params := in.GetParameters(); len(params) > 0 {
		o.key("parameters")
		if err := writeParameters(buf, params); err != nil {
			return err
		}
	}
	o.key("data")
	fields := oip.ContentFields(in.GetContents())
	switch {
	case isRaw && len(fields) > 0:
		return status.Errorf(status.InvalidArgument, "input %s has both %s and raw_input_contents", name, fields[0])
	case !known && (isRaw || len(fields) > 0):
		return status.Errorf(status.InvalidArgument, "input %s: datatype %q is not a v2 datatype, so its values have no JSON form", name, in.GetDatatype())
	case isRaw:
		t, err := oip.FromRaw(name, d, raw)
		if err != nil {
			return err
		}
		return writeData(buf, name, t.Len(), t.Value)
	case len(fields) == 0:
		buf.WriteString("[]}")
		return nil
	case len(fields) > 1 || fields[0] != oip.ContentField(d):
		want := oip.ContentField(d)
		if want == "" {
			want = "raw_input_contents"
		}
		return status.Errorf(status.InvalidArgument, "%s input %s carries %s; its values belong in %s", in.GetDatatype(), name, strings.Join(fields, " and "), want)
	}
	c := in.GetContents()
	switch fields[0] {
	case "bool_contents":
		return writeData(buf, name, len(c.BoolContents), func(i int) any { return c.BoolContents[i] })
	case "int_contents":
		return writeData(buf, name, len(c.IntContents), func(i int) any { return int64(c.IntContents[i]) })
	case "int64_contents":
		return writeData(buf, name, len(c.Int64Contents), func(i int) any { return c.Int64Contents[i] })
	case "uint_contents":
		return writeData(buf, name, len(c.UintContents), func(i int) any { return uint64(c.UintContents[i]) })
	case "uint64_contents":
		return writeData(buf, name, len(c.Uint64Contents), func(i int) any { return c.Uint64Contents[i] })
	case "fp32_contents":
		return writeData(buf, name, len(c.Fp32Contents), func(i int) any { return c.Fp32Contents[i] })
	case "fp64_contents":
		return writeData(buf, name, len(c.Fp64Contents), func(i int) any { return c.Fp64Contents[i] })
	default: // bytes_contents
		return writeData(buf, name, len(c.BytesContents), func(i int) any { return c.BytesContents[i] })
	}
}

// writeData writes the flat list of n values, then closes the input object.
func writeData(buf *bytes.Buffer, name string, n int, value func(int) any) error {
	buf.WriteByte('[')
	for i := range n {
		if i > 0 {
			buf.WriteByte(',')
		}
		switch v := value(i).(type) {
		case bool:
			buf.WriteString(strconv.FormatBool(v))
		case int64:
			buf.WriteString(strconv.FormatInt(v, 10))
		case uint64:
			buf.WriteString(strconv.FormatUint(v, 10))
		case float32: // FP32, and FP16/BF16 widened exactly
			buf.Write(appendFloat(buf.AvailableBuffer(), float64(v)))
		case float64:
			buf.Write(appendFloat(buf.AvailableBuffer(), v))
		case []byte:
			if !utf8.Valid(v) {
				return status.Errorf(status.Unimplemented, "BYTES input %s element %d is not valid UTF-8: a v2 JSON string cannot carry it (open-inference-protocol#12)", name, i)
			}
			writeJSONString(buf, string(v))
		}
	}
	buf.WriteString("]}")
	return nil
}

// writeParameters writes {"key": value} in key order: bool, int64 and uint64
// exactly, double as floats are written, string as a JSON string.
func writeParameters(buf *bytes.Buffer, params map[string]*inference.InferParameter) error {
	o := &objectWriter{buf: buf}
	buf.WriteByte('{')
	for _, k := range slices.Sorted(maps.Keys(params)) {
		o.key(k)
		switch v := params[k].GetParameterChoice().(type) {
		case *inference.InferParameter_BoolParam:
			buf.WriteString(strconv.FormatBool(v.BoolParam))
		case *inference.InferParameter_Int64Param:
			buf.WriteString(strconv.FormatInt(v.Int64Param, 10))
		case *inference.InferParameter_Uint64Param:
			buf.WriteString(strconv.FormatUint(v.Uint64Param, 10))
		case *inference.InferParameter_DoubleParam:
			buf.Write(appendFloat(buf.AvailableBuffer(), v.DoubleParam))
		case *inference.InferParameter_StringParam:
			writeJSONString(buf, v.StringParam)
		default:
			return status.Errorf(status.InvalidArgument, "parameter %q has no value", k)
		}
	}
	buf.WriteByte('}')
	return nil
}

// inferResponse reads {"model_name", "model_version", "id"?, "parameters"?,
// "outputs": [{"name", "shape", "datatype", "parameters"?, "data"}]} into a
// ModelInferResponse with typed contents; when an output is FP16 or BF16,
// which have no typed field, every output goes into raw_output_contents (the
// protocol allows all or none). data may be flat or nested, row-major; its
// values must be of the datatype's kind (numbers, true/false for BOOL,
// strings for BYTES) and fill the shape exactly. Anything else is INTERNAL,
// as gRPC reports a response it cannot parse.
func inferResponse(data []byte) (*inference.ModelInferResponse, error) {
	root, err := parseJSON(data)
	if err != nil {
		return nil, badJSON("%v", err)
	}
	if root.kind != kObject {
		return nil, badJSON("expected an object")
	}
	resp := &inference.ModelInferResponse{}
	for _, m := range []struct {
		key string
		dst *string
	}{{"model_name", &resp.ModelName}, {"model_version", &resp.ModelVersion}, {"id", &resp.Id}} {
		if *m.dst, err = optionalString(root, m.key); err != nil {
			return nil, err
		}
	}
	if resp.Parameters, err = readParameters(root, "response"); err != nil {
		return nil, err
	}
	outputs, ok := root.get("outputs")
	if !ok || outputs.kind != kArray {
		return nil, badJSON(`"outputs" should be a list`)
	}
	tensors := make([]*tensor.Tensor, len(outputs.items))
	raw := false
	for i, out := range outputs.items {
		o, t, err := readOutput(out, i)
		if err != nil {
			return nil, err
		}
		resp.Outputs = append(resp.Outputs, o)
		tensors[i] = t
		raw = raw || !oip.HasTypedContents(t.DType)
	}
	for i, t := range tensors {
		if raw {
			resp.RawOutputContents = append(resp.RawOutputContents, oip.ToRaw(t))
			continue
		}
		if resp.Outputs[i].Contents, err = oip.ToContents(t); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

// readOutput reads output i into its message (without contents) and tensor.
func readOutput(n *node, i int) (*inference.ModelInferResponse_InferOutputTensor, *tensor.Tensor, error) {
	if n.kind != kObject {
		return nil, nil, badJSON("output %d is not an object", i)
	}
	name, err := requiredString(n, "name", i)
	if err != nil {
		return nil, nil, err
	}
	datatype, err := requiredString(n, "datatype", i)
	if err != nil {
		return nil, nil, err
	}
	d, ok := oip.DType(datatype)
	if !ok {
		return nil, nil, badJSON("output %s: %q is not a v2 datatype", name, datatype)
	}
	shapeNode, ok := n.get("shape")
	if !ok || shapeNode.kind != kArray {
		return nil, nil, badJSON("output %s: \"shape\" should be a list", name)
	}
	shape := make([]int64, len(shapeNode.items))
	for j, dim := range shapeNode.items {
		v, err := strconv.ParseInt(dim.text, 10, 64)
		if dim.kind != kNumber || err != nil || v < 0 {
			return nil, nil, badJSON("output %s: shape %d is not a size", name, j)
		}
		shape[j] = v
	}
	params, err := readParameters(n, "output "+name)
	if err != nil {
		return nil, nil, err
	}
	t, err := tensor.New(d, shape)
	if err != nil {
		return nil, nil, badJSON("output %s: %v", name, status.FromError(err).Message)
	}
	dataNode, ok := n.get("data")
	if !ok || dataNode.kind != kArray {
		return nil, nil, badJSON("output %s: \"data\" should be a list", name)
	}
	var leaves []*node
	flatten(dataNode, &leaves)
	if len(leaves) != t.Len() {
		return nil, nil, badJSON("output %s: %d values for shape %v", name, len(leaves), shape)
	}
	r := &leafReader{t: t}
	for _, leaf := range leaves {
		if d == tensor.String && leaf.kind != kString {
			return nil, nil, badJSON("output %s: expected a string for BYTES, got %s", name, describe(leaf))
		}
		if err := r.leaf(leaf); err != nil {
			return nil, nil, err
		}
		r.next++
	}
	return &inference.ModelInferResponse_InferOutputTensor{Name: name, Datatype: datatype, Shape: shape, Parameters: params}, t, nil
}

// flatten appends the leaves of nested lists in row-major order.
func flatten(n *node, leaves *[]*node) {
	if n.kind != kArray {
		*leaves = append(*leaves, n)
		return
	}
	for _, item := range n.items {
		flatten(item, leaves)
	}
}

func optionalString(n *node, key string) (string, error) {
	v, ok := n.get(key)
	switch {
	case !ok || v.kind == kNull:
		return "", nil
	case v.kind != kString:
		return "", badJSON("%q should be a string, got %s", key, describe(v))
	}
	return v.text, nil
}

func requiredString(n *node, key string, output int) (string, error) {
	v, ok := n.get(key)
	if !ok || v.kind != kString {
		return "", badJSON("output %d: %q should be a string", output, key)
	}
	return v.text, nil
}

// readParameters reads n's "parameters" object: a bool, a string, an
// integer (int64, else uint64 beyond it) or any other number (double).
func readParameters(n *node, where string) (map[string]*inference.InferParameter, error) {
	obj, ok := n.get("parameters")
	if !ok || obj.kind == kNull {
		return nil, nil
	}
	if obj.kind != kObject {
		return nil, badJSON("%s parameters should be an object", where)
	}
	params := make(map[string]*inference.InferParameter, len(obj.members))
	for _, m := range obj.members {
		p := &inference.InferParameter{}
		v := m.value
		switch v.kind {
		case kBool:
			p.ParameterChoice = &inference.InferParameter_BoolParam{BoolParam: v.boolean}
		case kString:
			p.ParameterChoice = &inference.InferParameter_StringParam{StringParam: v.text}
		case kNumber:
			if !strings.ContainsAny(v.text, ".eEIN") {
				if i, err := strconv.ParseInt(v.text, 10, 64); err == nil {
					p.ParameterChoice = &inference.InferParameter_Int64Param{Int64Param: i}
					break
				}
				if u, err := strconv.ParseUint(v.text, 10, 64); err == nil {
					p.ParameterChoice = &inference.InferParameter_Uint64Param{Uint64Param: u}
					break
				}
			}
			f, err := parseFloat(v.text, 64)
			if err != nil {
				return nil, err
			}
			if math.IsInf(f, 0) && !strings.Contains(v.text, "Infinity") {
				return nil, badJSON("%s parameter %q: %s is beyond a double", where, m.key, v.text)
			}
			p.ParameterChoice = &inference.InferParameter_DoubleParam{DoubleParam: f}
		default:
			return nil, badJSON("%s parameter %q should be a bool, a number or a string, got %s", where, m.key, describe(v))
		}
		params[m.key] = p
	}
	return params, nil
}
