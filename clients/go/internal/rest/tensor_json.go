package rest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
)

// bodyWriter builds one JSON request body in buf. A Transport keeps a pool of
// them, so a batch's body (hundreds of kilobytes) reuses one buffer.
type bodyWriter struct {
	buf     []byte
	floats  floatMemo
	scratch [][]byte // per input, the decoded elements of a typed field
}

// reset empties w for the next body.
func (w *bodyWriter) reset() {
	w.buf = w.buf[:0]
	w.floats = floatMemo{}
}

// tensor appends t as nested JSON lists (a bare value for a scalar).
func (w *bodyWriter) tensor(t *tensor.Tensor) error {
	if err := checkWritable(t); err != nil {
		return err
	}
	w.slice(t, 0, 0)
	return nil
}

// example appends example i of t (t without its first dimension).
func (w *bodyWriter) example(t *tensor.Tensor, i int) error {
	if err := checkWritable(t); err != nil {
		return err
	}
	stride := 1
	for _, d := range t.Shape[1:] {
		stride *= int(d)
	}
	w.slice(t, 1, i*stride)
	return nil
}

// checkWritable refuses, before anything is written, a dtype REST cannot carry.
func checkWritable(t *tensor.Tensor) error {
	switch t.DType {
	case tensor.Float, tensor.Half, tensor.BFloat16, tensor.Double,
		tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64,
		tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64,
		tensor.Bool, tensor.String:
		return nil
	}
	return status.Errorf(status.Unimplemented, "%s tensors cannot be sent over REST", tensor.Name(t.DType))
}

func (w *bodyWriter) slice(t *tensor.Tensor, dim, offset int) {
	if dim == len(t.Shape) {
		w.elements(t, offset, 1)
		return
	}
	w.buf = append(w.buf, '[')
	if dim == len(t.Shape)-1 {
		// The innermost list: one loop over the elements, the bulk of a body.
		w.elements(t, offset, int(t.Shape[dim]))
		w.buf = append(w.buf, ']')
		return
	}
	stride := 1
	for _, d := range t.Shape[dim+1:] {
		stride *= int(d)
	}
	for i := range int(t.Shape[dim]) {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.slice(t, dim+1, offset+i*stride)
	}
	w.buf = append(w.buf, ']')
}

// elements writes elements [from, from+n) of t, comma-separated, so each
// parses back to the same bits: floats in shortest round-trip form, NaN and
// ±Infinity as bare tokens, integers exactly, strings as JSON strings when
// valid UTF-8 else {"b64": ...}. The dtype is one checkWritable accepts.
//
// float32 values (and half/bfloat16, widened) are written as the shortest
// form of their exact double value: TF Serving parses every JSON number as a
// double and refuses a float input beyond float's range, which float32's own
// shortest form of its maximum ("3.4028235e+38") is as a double.
func (w *bodyWriter) elements(t *tensor.Tensor, from, n int) {
	le := binary.LittleEndian
	b := t.Data
	dst := w.buf
	// One loop per dtype: the switch is not paid per element.
	switch t.DType {
	case tensor.Float:
		for i := from; i < from+n; i++ {
			dst = w.floats.append(comma(dst, i > from), float64(math.Float32frombits(le.Uint32(b[4*i:]))))
		}
	case tensor.Double:
		for i := from; i < from+n; i++ {
			dst = w.floats.append(comma(dst, i > from), math.Float64frombits(le.Uint64(b[8*i:])))
		}
	case tensor.Half:
		for i := from; i < from+n; i++ {
			dst = w.floats.append(comma(dst, i > from), float64(tensor.HalfToFloat32(le.Uint16(b[2*i:]))))
		}
	case tensor.BFloat16:
		for i := from; i < from+n; i++ {
			dst = w.floats.append(comma(dst, i > from), float64(tensor.BFloat16ToFloat32(le.Uint16(b[2*i:]))))
		}
	case tensor.Int8:
		for i := from; i < from+n; i++ {
			dst = strconv.AppendInt(comma(dst, i > from), int64(int8(b[i])), 10)
		}
	case tensor.Int16:
		for i := from; i < from+n; i++ {
			dst = strconv.AppendInt(comma(dst, i > from), int64(int16(le.Uint16(b[2*i:]))), 10)
		}
	case tensor.Int32:
		for i := from; i < from+n; i++ {
			dst = strconv.AppendInt(comma(dst, i > from), int64(int32(le.Uint32(b[4*i:]))), 10)
		}
	case tensor.Int64:
		for i := from; i < from+n; i++ {
			dst = strconv.AppendInt(comma(dst, i > from), int64(le.Uint64(b[8*i:])), 10)
		}
	case tensor.Uint8:
		for i := from; i < from+n; i++ {
			dst = strconv.AppendUint(comma(dst, i > from), uint64(b[i]), 10)
		}
	case tensor.Uint16:
		for i := from; i < from+n; i++ {
			dst = strconv.AppendUint(comma(dst, i > from), uint64(le.Uint16(b[2*i:])), 10)
		}
	case tensor.Uint32:
		for i := from; i < from+n; i++ {
			dst = strconv.AppendUint(comma(dst, i > from), uint64(le.Uint32(b[4*i:])), 10)
		}
	case tensor.Uint64:
		for i := from; i < from+n; i++ {
			dst = strconv.AppendUint(comma(dst, i > from), le.Uint64(b[8*i:]), 10)
		}
	case tensor.Bool:
		for i := from; i < from+n; i++ {
			dst = strconv.AppendBool(comma(dst, i > from), b[i] != 0)
		}
	case tensor.String:
		for i := from; i < from+n; i++ {
			dst = appendString(comma(dst, i > from), t.Strings[i])
		}
	}
	w.buf = dst
}

// comma appends the separator before every list item but the first.
func comma(dst []byte, needed bool) []byte {
	if needed {
		return append(dst, ',')
	}
	return dst
}

// floatMemo remembers where in a body recent float values were written, so a
// repeated value is copied instead of formatted again: the shortest form of a
// double costs about 100 ns here, and inputs often repeat values (an 8-bit
// image scaled to floats holds at most 256). It is a direct-mapped table;
// a collision only costs a formatting.
type floatMemo struct {
	slots [memoSlots]memoSlot
}

const memoBits = 12
const memoSlots = 1 << memoBits

type memoSlot struct {
	bits uint64 // 0 (the value +0, never looked up) marks an empty slot
	off  uint32 // where its text starts in the body
	n    uint32 // its length
}

// append writes v as appendFloat does, to dst, which is the body the memo's
// offsets point into.
func (m *floatMemo) append(dst []byte, v float64) []byte {
	bits := math.Float64bits(v)
	if v == 0 || bits>>52&0x7ff == 0x7ff || len(dst) > math.MaxUint32 {
		return appendFloat(dst, v) // zeros, NaN and infinities need no memo
	}
	slot := &m.slots[(bits*0x9e3779b97f4a7c15)>>(64-memoBits)]
	if slot.bits == bits {
		return append(dst, dst[slot.off:slot.off+slot.n]...)
	}
	start := len(dst)
	dst = appendFloat(dst, v)
	*slot = memoSlot{bits: bits, off: uint32(start), n: uint32(len(dst) - start)}
	return dst
}

// appendFloat writes v in the shortest form that reads back as the same
// double, always with a decimal point or an exponent (a float spelled as an
// integer reads back as one: rapidjson parses "-0" as the integer 0 and loses
// the sign); NaN and ±Infinity as bare tokens.
func appendFloat(dst []byte, v float64) []byte {
	switch {
	case v == 0: // the commonest value in many tensors; keeps its sign
		if math.Signbit(v) {
			return append(dst, "-0.0"...)
		}
		return append(dst, "0.0"...)
	case math.IsNaN(v):
		return append(dst, "NaN"...)
	case math.IsInf(v, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(v, -1):
		return append(dst, "-Infinity"...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, v, 'g', -1, 64)
	if bytes.IndexByte(dst[start:], '.') < 0 && bytes.IndexByte(dst[start:], 'e') < 0 {
		dst = append(dst, ".0"...)
	}
	return dst
}

// formatFloat is appendFloat as a string, for the writers of single values.
func formatFloat(v float64) string {
	return string(appendFloat(nil, v))
}

// appendString writes s as a JSON string when it is valid UTF-8, else as
// {"b64": ...}: a JSON string cannot carry other bytes.
func appendString(dst, s []byte) []byte {
	if !utf8.Valid(s) {
		dst = append(dst, `{"b64":"`...)
		dst = base64.StdEncoding.AppendEncode(dst, s)
		return append(dst, `"}`...)
	}
	return appendQuoted(dst, s)
}

// appendQuoted writes valid UTF-8 s as a JSON string, escaping only what JSON
// requires: the quote, the backslash and control characters.
func appendQuoted[S ~string | ~[]byte](dst []byte, s S) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[last:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		last = i + 1
	}
	dst = append(dst, s[last:]...)
	return append(dst, '"')
}

// writeString is appendString for the bytes.Buffer writers.
func writeString(buf *bytes.Buffer, s []byte) {
	buf.Write(appendString(buf.AvailableBuffer(), s))
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
	return setNumber(t, i, n.text)
}

// setNumber stores the number token text (NaN and ±Infinity included) at
// element i of a numeric tensor, exactly: floats rounded once to the dtype's
// width, integers refused when they do not fit.
func setNumber(t *tensor.Tensor, i int, text string) error {
	switch t.DType {
	case tensor.Float, tensor.Half, tensor.BFloat16:
		v, err := parseFloat(text, 32)
		if err != nil {
			return err
		}
		t.SetFloat(i, v)
	case tensor.Double:
		v, err := parseFloat(text, 64)
		if err != nil {
			return err
		}
		t.SetFloat(i, v)
	case tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64:
		v, err := strconv.ParseInt(text, 10, 8*tensor.ElementSize(t.DType))
		if err != nil {
			return badJSON("%q is not a %s", text, tensor.Name(t.DType))
		}
		t.SetInt(i, v)
	case tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64:
		v, err := strconv.ParseUint(text, 10, 8*tensor.ElementSize(t.DType))
		if err != nil {
			return badJSON("%q is not a %s", text, tensor.Name(t.DType))
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
