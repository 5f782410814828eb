package rest

import (
	"errors"
	"slices"
	"strconv"

	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/framework"
	corepb "tfinterop.dev/clients/go/internal/gen/tensorflow/core/protobuf"
	"tfinterop.dev/clients/go/internal/tensor"
)

// denseOutputs is predictOutputs for the usual answer, read without building
// a tree: a signature with one numeric or bool output, answered as
// {"outputs" | "predictions": nested lists of numbers}. The tensor's values
// go from their tokens straight into it. Anything else (several outputs,
// strings, empty or ragged lists, a bad token) returns false, and the tree
// reader reads the body again from the start, with its own errors; so both
// paths give one answer for every body.
func denseOutputs(data []byte, sig *corepb.SignatureDef) (map[string]*framework.TensorProto, bool) {
	if len(sig.GetOutputs()) != 1 {
		return nil, false
	}
	var name string
	for name = range sig.GetOutputs() {
	}
	d := sig.GetOutputs()[name].GetDtype()
	if d == tensor.String || !readable(d) {
		return nil, false
	}
	p := &parser{data: data}
	p.space()
	if p.pos >= len(p.data) || p.data[p.pos] != '{' {
		return nil, false
	}
	p.pos++
	var found *tensor.Tensor
	var foundKey string
	for first := true; ; first = false {
		p.space()
		if first && p.pos < len(p.data) && p.data[p.pos] == '}' {
			p.pos++
			break
		}
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return nil, false
		}
		key, err := p.str()
		if err != nil {
			return nil, false
		}
		p.space()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return nil, false
		}
		p.pos++
		// The tree reader takes the first "outputs", else the first "predictions".
		if (key == "outputs" && foundKey != "outputs") || (key == "predictions" && foundKey == "") {
			t, ok := p.dense(d)
			if !ok {
				return nil, false
			}
			found, foundKey = t, key
		} else if _, err := p.value(1); err != nil {
			return nil, false
		}
		p.space()
		if p.pos >= len(p.data) {
			return nil, false
		}
		if p.data[p.pos] == '}' {
			p.pos++
			break
		}
		if p.data[p.pos] != ',' {
			return nil, false
		}
		p.pos++
	}
	p.space()
	if p.pos != len(p.data) || found == nil {
		return nil, false
	}
	proto, err := tensor.Encode(found)
	if err != nil {
		return nil, false
	}
	return map[string]*framework.TensorProto{name: proto}, true
}

// readable is whether the tree reader reads dtype d (setNumber, bools, strings).
func readable(d tensor.DType) bool {
	switch d {
	case tensor.Float, tensor.Half, tensor.BFloat16, tensor.Double,
		tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64,
		tensor.Uint8, tensor.Uint16, tensor.Uint32, tensor.Uint64,
		tensor.Bool, tensor.String:
		return true
	}
	return false
}

// dense reads, at p.pos, non-empty nested lists of equal length per depth
// whose leaves are all at one depth and are number tokens (true/false for a
// bool tensor), into a tensor of dtype d shaped by the nesting. false for
// anything else, with p.pos undefined.
func (p *parser) dense(d tensor.DType) (*tensor.Tensor, bool) {
	p.space()
	if p.pos >= len(p.data) || p.data[p.pos] != '[' {
		return nil, false // a scalar answer: the tree reader's
	}
	var shape, counts []int64 // per depth: the first list's length (-1 while open), the open list's items
	var spans []int           // start and end of each leaf token
	rank, depth := -1, 0
	for {
		// An item: a list or a leaf.
		if p.data[p.pos] == '[' {
			if (rank >= 0 && depth >= rank) || depth >= maxDepth {
				return nil, false
			}
			depth++
			if depth > len(shape) {
				shape, counts = append(shape, -1), append(counts, 0)
			}
			counts[depth-1] = 0
			p.pos++
			p.space()
			if p.pos >= len(p.data) || p.data[p.pos] == ']' {
				return nil, false // an empty list, or the end
			}
			continue
		}
		if rank < 0 {
			rank = depth
		} else if depth != rank {
			return nil, false
		}
		start := p.pos
		if !p.leafToken(d == tensor.Bool) {
			return nil, false
		}
		spans = append(spans, start, p.pos)
		counts[depth-1]++
		// After an item: a comma and the next, or the end of lists.
		for {
			p.space()
			if p.pos >= len(p.data) {
				return nil, false
			}
			if p.data[p.pos] == ',' {
				p.pos++
				p.space()
				if p.pos >= len(p.data) {
					return nil, false
				}
				break
			}
			if p.data[p.pos] != ']' {
				return nil, false
			}
			p.pos++
			k := depth - 1
			if shape[k] < 0 {
				shape[k] = counts[k]
			} else if shape[k] != counts[k] {
				return nil, false
			}
			depth--
			if depth == 0 {
				return p.fill(d, slices.Clip(shape[:rank]), spans)
			}
			counts[depth-1]++
		}
	}
}

// leafToken steps over one number token (NaN and ±Infinity included) or, for
// a bool tensor, true or false.
func (p *parser) leafToken(boolean bool) bool {
	if boolean {
		return p.literal("true") || p.literal("false")
	}
	if p.literal("NaN") || p.literal("Infinity") || p.literal("-Infinity") {
		return true
	}
	return validNumber(p.numberToken())
}

// fill makes the tensor from the leaf tokens' spans, converting as setNumber
// does (a token it would refuse returns false, for the tree reader's error).
func (p *parser) fill(d tensor.DType, shape []int64, spans []int) (*tensor.Tensor, bool) {
	t, err := tensor.New(d, shape)
	if err != nil || t.Len() != len(spans)/2 {
		return nil, false
	}
	bits := 8 * tensor.ElementSize(d)
	for i := range t.Len() {
		token := p.data[spans[2*i]:spans[2*i+1]]
		switch d {
		case tensor.Bool:
			if token[0] == 't' {
				t.SetInt(i, 1)
			}
		case tensor.Float, tensor.Half, tensor.BFloat16, tensor.Double:
			if c := token[len(token)-1]; c == 'N' || c == 'y' { // NaN, ±Infinity
				if setNumber(t, i, string(token)) != nil {
					return nil, false
				}
				continue
			}
			// string(token) is not kept: no allocation. Out of range is
			// ±Infinity, as setNumber reads it.
			v, err := strconv.ParseFloat(string(token), max(bits, 32))
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return nil, false
			}
			t.SetFloat(i, v)
		case tensor.Int8, tensor.Int16, tensor.Int32, tensor.Int64:
			v, err := strconv.ParseInt(string(token), 10, bits)
			if err != nil {
				return nil, false
			}
			t.SetInt(i, v)
		default: // the unsigned integers
			v, err := strconv.ParseUint(string(token), 10, bits)
			if err != nil {
				return nil, false
			}
			t.SetInt(i, int64(v))
		}
	}
	return t, true
}
