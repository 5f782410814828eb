package rest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
)

// writeTensor appends t as nested JSON lists (a bare value for a scalar).
func writeTensor(buf *bytes.Buffer, t *tensor.Tensor) error {
	return writeSlice(buf, t, 0, 0)
}

// writeExample appends example i of t (t without its first dimension).
func writeExample(buf *bytes.Buffer, t *tensor.Tensor, i int) error {
	stride := 1
	for _, d := range t.Shape[1:] {
		stride *= int(d)
	}
	return writeSlice(buf, t, 1, i*stride)
}

func writeSlice(buf *bytes.Buffer, t *tensor.Tensor, dim, offset int) error {
	if dim == len(t.Shape) {
		return writeElement(buf, t, offset)
	}
	stride := 1
	for _, d := range t.Shape[dim+1:] {
		stride *= int(d)
	}
	buf.WriteByte('[')
	for i := range int(t.Shape[dim]) {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeSlice(buf, t, dim+1, offset+i*stride); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

// writeElement writes one value so it parses back to the same bits: floats in
// shortest round-trip form, NaN and ±Infinity as bare tokens, integers
// exactly, strings as JSON strings when valid UTF-8 else {"b64": ...}.
//
// float32 values (and half/bfloat16, widened) are written as the shortest
// form of their exact double value: TF Serving parses every JSON number as a
// double and refuses a float input unless the double converts to float
// without loss (rapidjson IsLosslessFloat), which float32's own shortest form
// ("0.1", "3.4028235e+38") does not satisfy.
func writeElement(buf *bytes.Buffer, t *tensor.Tensor, i int) error {
	switch v := t.Value(i).(type) {
	case float32:
		buf.WriteString(formatFloat(float64(v), 64))
	case float64:
		buf.WriteString(formatFloat(v, 64))
	case int64:
		buf.WriteString(strconv.FormatInt(v, 10))
	case uint64:
		buf.WriteString(strconv.FormatUint(v, 10))
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case []byte:
		writeString(buf, v)
	default:
		return status.Errorf(status.Unimplemented, "%s tensors cannot be sent over REST", tensor.Name(t.DType))
	}
	return nil
}

func formatFloat(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(v, 'g', -1, bits)
	if !strings.ContainsAny(s, ".e") {
		// A float spelled as an integer reads back as one: rapidjson parses
		// "-0" as the integer 0 and loses the sign.
		s += ".0"
	}
	return s
}

func writeString(buf *bytes.Buffer, s []byte) {
	if utf8.Valid(s) {
		enc, _ := json.Marshal(string(s)) // cannot fail for a valid string
		buf.Write(enc)
		return
	}
	buf.WriteString(`{"b64":"`)
	buf.WriteString(base64.StdEncoding.EncodeToString(s))
	buf.WriteString(`"}`)
}

// readTensor turns nested JSON lists into a tensor of dtype d; the shape is
// the nesting. A leaf is a number, a bool, a string or a {"b64": ...} object.
func readTensor(n *node, d tensor.DType) (*tensor.Tensor, error) {
	var shape []int64
	for cur := n; cur.kind == kArray; {
		shape = append(shape, int64(len(cur.items)))
		if len(cur.items) == 0 {
			break
		}
		cur = cur.items[0]
	}
	t, err := tensor.New(d, shape)
	if err != nil {
		return nil, err
	}
	r := &leafReader{t: t}
	if err := r.walk(n, 0); err != nil {
		return nil, err
	}
	return t, nil
}

// stackExamples builds a tensor from per-example values (row format):
// the first dimension is the number of examples.
func stackExamples(examples []*node, d tensor.DType) (*tensor.Tensor, error) {
	return readTensor(&node{kind: kArray, items: examples}, d)
}

type leafReader struct {
	t    *tensor.Tensor
	next int
}

func (r *leafReader) walk(n *node, dim int) error {
	if dim == len(r.t.Shape) {
		if n.kind == kArray {
			return badJSON("ragged list: more nesting than shape %v", r.t.Shape)
		}
		if err := r.leaf(n); err != nil {
			return err
		}
		r.next++
		return nil
	}
	if n.kind != kArray || int64(len(n.items)) != r.t.Shape[dim] {
		return badJSON("ragged list: expected %d items at depth %d for shape %v", r.t.Shape[dim], dim, r.t.Shape)
	}
	for _, item := range n.items {
		if err := r.walk(item, dim+1); err != nil {
			return err
		}
	}
	return nil
}

func (r *leafReader) leaf(n *node) error {
	t, i := r.t, r.next
	switch t.DType {
	case tensor.String:
		s, err := stringLeaf(n)
		if err != nil {
			return err
		}
		t.Strings[i] = s
		return nil
	case tensor.Bool:
		if n.kind != kBool {
			return badJSON("expected true or false for a bool tensor, got %s", describe(n))
		}
		if n.boolean {
			t.SetInt(i, 1)
		}
		return nil
	}
	if n.kind != kNumber {
		return badJSON("expected a number for a %s tensor, got %s", tensor.Name(t.DType), describe(n))
	}
	switch t.DType {
	case tensor.Float, tensor.Half, tensor.BFloat16:
		v, err := parseFloat(n.text, 32)
		if err != nil {
			return err
		}
		t.SetFloat(i, v)
	case tensor.Double:
		v, err := parseFloat(n.text, 64)
		if err != nil {
			return err
		}
		t.SetFloat(i, v)
	case tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64:
		v, err := strconv.ParseInt(n.text, 10, 8*tensor.ElementSize(t.DType))
		if err != nil {
			return badJSON("%q is not a %s", n.text, tensor.Name(t.DType))
		}
		t.SetInt(i, v)
	case tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64:
		v, err := strconv.ParseUint(n.text, 10, 8*tensor.ElementSize(t.DType))
		if err != nil {
			return badJSON("%q is not a %s", n.text, tensor.Name(t.DType))
		}
		t.SetInt(i, int64(v))
	default:
		return status.Errorf(status.Unimplemented, "%s tensors cannot be read from REST", tensor.Name(t.DType))
	}
	return nil
}

func parseFloat(text string, bits int) (float64, error) {
	switch text {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	// ParseFloat rounds once, directly to the target width: exact round trip.
	v, err := strconv.ParseFloat(text, bits)
	if err != nil && !strings.Contains(err.Error(), "value out of range") {
		return 0, badJSON("%q is not a number", text)
	}
	return v, nil
}

func stringLeaf(n *node) ([]byte, error) {
	switch n.kind {
	case kString:
		return []byte(n.text), nil
	case kObject:
		if b64, ok := n.get("b64"); ok && len(n.members) == 1 && b64.kind == kString {
			data, err := base64.StdEncoding.DecodeString(b64.text)
			if err != nil {
				return nil, badJSON("bad base64 in {\"b64\": ...}: %v", err)
			}
			return data, nil
		}
	}
	return nil, badJSON("expected a string or {\"b64\": ...}, got %s", describe(n))
}

func describe(n *node) string {
	switch n.kind {
	case kNull:
		return "null"
	case kBool:
		return "a bool"
	case kNumber:
		return "number " + n.text
	case kString:
		return "a string"
	case kArray:
		return "a list"
	}
	return "an object"
}

// badJSON reports a response the client cannot turn back into tensors.
func badJSON(format string, args ...any) error {
	return status.Errorf(status.Internal, "REST response: "+format, args...)
}
