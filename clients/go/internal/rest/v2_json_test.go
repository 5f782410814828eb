package rest

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/gen/inference"
	"tfinterop.dev/clients/go/internal/status"
)

// The v2 REST JSON codec (docs/CONTRACT.md "v2 transports"): the request
// body from a ModelInferRequest, and the answer back into a
// ModelInferResponse.

type (
	inputTensor  = inference.ModelInferRequest_InferInputTensor
	outputTensor = inference.ModelInferResponse_InferOutputTensor
	contents     = inference.InferTensorContents
)

func input(name, datatype string, shape []int64, c *contents) *inputTensor {
	return &inputTensor{Name: name, Datatype: datatype, Shape: shape, Contents: c}
}

// le is the little-endian bytes of each value (uint16 for FP16/BF16 bit patterns).
func le(values ...any) []byte {
	var out []byte
	for _, v := range values {
		out, _ = binary.Append(out, binary.LittleEndian, v)
	}
	return out
}

func jsonShape(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.FormatInt(d, 10)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// oneInputBody is the body inferBody writes for a request with one input.
func oneInputBody(in *inputTensor, data string) string {
	return `{"inputs":[{"name":"` + in.Name + `","shape":` + jsonShape(in.Shape) + `,"datatype":"` + in.Datatype + `","data":` + data + `}]}`
}

func TestInferBodyWritesEveryDatatypesTypedContents(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   *inputTensor
		want string
	}{
		{"BOOL", input("b", "BOOL", []int64{2}, &contents{BoolContents: []bool{true, false}}), `[true,false]`},
		{"INT8", input("i", "INT8", []int64{2}, &contents{IntContents: []int32{-128, 127}}), `[-128,127]`},
		{"INT16", input("i", "INT16", []int64{1}, &contents{IntContents: []int32{-32768}}), `[-32768]`},
		{"INT32", input("i", "INT32", []int64{1}, &contents{IntContents: []int32{math.MinInt32}}), `[-2147483648]`},
		{"INT64 beyond 2^53", input("i", "INT64", []int64{2}, &contents{Int64Contents: []int64{1<<53 + 1, math.MinInt64}}),
			`[9007199254740993,-9223372036854775808]`},
		{"UINT8", input("u", "UINT8", []int64{1}, &contents{UintContents: []uint32{255}}), `[255]`},
		{"UINT16", input("u", "UINT16", []int64{1}, &contents{UintContents: []uint32{65535}}), `[65535]`},
		{"UINT32", input("u", "UINT32", []int64{1}, &contents{UintContents: []uint32{math.MaxUint32}}), `[4294967295]`},
		{"UINT64", input("u", "UINT64", []int64{1}, &contents{Uint64Contents: []uint64{math.MaxUint64}}), `[18446744073709551615]`},
		{"FP32 as its exact double", input("f", "FP32", []int64{2, 2}, &contents{Fp32Contents: []float32{0.1, 1, float32(math.Copysign(0, -1)), math.MaxFloat32}}),
			`[0.10000000149011612,1.0,-0.0,3.4028234663852886e+38]`},
		{"FP32 NaN and infinities", input("f", "FP32", []int64{3}, &contents{Fp32Contents: []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}}),
			`[NaN,Infinity,-Infinity]`},
		{"FP64", input("d", "FP64", []int64{3}, &contents{Fp64Contents: []float64{0.1, 5e-324, 1e300}}), `[0.1,5e-324,1e+300]`},
		{"BYTES as strings", input("s", "BYTES", []int64{3}, &contents{BytesContents: [][]byte{[]byte("héllo"), {}, []byte("a\"\\\n\x00")}}),
			`["héllo","","a\"\\\n\u0000"]`},
		{"scalar", input("x", "INT32", []int64{}, &contents{IntContents: []int32{7}}), `[7]`},
		{"no contents", input("z", "FP32", []int64{0, 3}, nil), `[]`},
		// The values go out as the message holds them: the server judges a
		// count that does not fill the shape, or a value beyond INT8.
		{"count and range unchecked", input("i", "INT8", []int64{3}, &contents{IntContents: []int32{300}}), `[300]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := inferBody(&inference.ModelInferRequest{ModelName: "m", ModelVersion: "2", Inputs: []*inputTensor{tc.in}})
			if err != nil {
				t.Fatal(err)
			}
			if want := oneInputBody(tc.in, tc.want); string(body) != want {
				t.Fatalf("body\n %s\nwant\n %s", body, want)
			}
		})
	}
}

func TestInferBodyDecodesRawContentsForJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   *inputTensor
		raw  []byte
		want string
	}{
		// FP16 and BF16 have no typed field: raw bit patterns, written as the
		// exact double value of each half or bfloat16.
		{"FP16", input("h", "FP16", []int64{5}, nil), le(uint16(0x3c00), uint16(0x2e66), uint16(0x0001), uint16(0x8000), uint16(0x7bff)),
			`[1.0,0.0999755859375,5.960464477539063e-08,-0.0,65504.0]`},
		{"FP16 NaN and infinities", input("h", "FP16", []int64{3}, nil), le(uint16(0x7e00), uint16(0x7c00), uint16(0xfc00)), `[NaN,Infinity,-Infinity]`},
		{"BF16", input("b", "BF16", []int64{3}, nil), le(uint16(0x3dcd), uint16(0xbf80), uint16(0x7f7f)),
			`[0.10009765625,-1.0,3.3895313892515355e+38]`},
		{"FP32", input("f", "FP32", []int64{2}, nil), le(float32(0.1), float32(-2.5)), `[0.10000000149011612,-2.5]`},
		{"FP64", input("d", "FP64", []int64{1}, nil), le(0.1), `[0.1]`},
		{"BOOL", input("b", "BOOL", []int64{2}, nil), []byte{1, 0}, `[true,false]`},
		{"INT8", input("i", "INT8", []int64{2}, nil), []byte{0x80, 0x7f}, `[-128,127]`},
		{"INT16", input("i", "INT16", []int64{1}, nil), le(int16(-2)), `[-2]`},
		{"INT32", input("i", "INT32", []int64{1}, nil), le(int32(-3)), `[-3]`},
		{"INT64 beyond 2^53", input("i", "INT64", []int64{1}, nil), le(int64(1<<53 + 1)), `[9007199254740993]`},
		{"UINT8", input("u", "UINT8", []int64{1}, nil), []byte{0xff}, `[255]`},
		{"UINT16", input("u", "UINT16", []int64{1}, nil), le(uint16(65535)), `[65535]`},
		{"UINT32", input("u", "UINT32", []int64{1}, nil), le(uint32(math.MaxUint32)), `[4294967295]`},
		{"UINT64", input("u", "UINT64", []int64{1}, nil), le(uint64(math.MaxUint64)), `[18446744073709551615]`},
		{"BYTES", input("s", "BYTES", []int64{2}, nil), append(le(uint32(2)), 'h', 'i', 0, 0, 0, 0), `["hi",""]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, err := inferBody(&inference.ModelInferRequest{ModelName: "m", Inputs: []*inputTensor{tc.in}, RawInputContents: [][]byte{tc.raw}})
			if err != nil {
				t.Fatal(err)
			}
			if want := oneInputBody(tc.in, tc.want); string(body) != want {
				t.Fatalf("body\n %s\nwant\n %s", body, want)
			}
		})
	}
}

func TestInferBodyWritesIdParametersAndRequestedOutputs(t *testing.T) {
	req := &inference.ModelInferRequest{
		ModelName: "m", Id: "req-1",
		Parameters: map[string]*inference.InferParameter{
			"signature_name": {ParameterChoice: &inference.InferParameter_StringParam{StringParam: "serving_default"}},
			"big":            {ParameterChoice: &inference.InferParameter_Int64Param{Int64Param: 1<<53 + 1}},
			"flag":           {ParameterChoice: &inference.InferParameter_BoolParam{BoolParam: true}},
			"ratio":          {ParameterChoice: &inference.InferParameter_DoubleParam{DoubleParam: 2}},
			"u":              {ParameterChoice: &inference.InferParameter_Uint64Param{Uint64Param: math.MaxUint64}},
		},
		Inputs: []*inputTensor{
			input("a", "FP32", []int64{1}, &contents{Fp32Contents: []float32{1}}),
			{Name: "b", Datatype: "INT32", Shape: []int64{1}, Contents: &contents{IntContents: []int32{2}},
				Parameters: map[string]*inference.InferParameter{"p": {ParameterChoice: &inference.InferParameter_StringParam{StringParam: "x"}}}},
		},
		Outputs: []*inference.ModelInferRequest_InferRequestedOutputTensor{{Name: "y"}, {Name: "z",
			Parameters: map[string]*inference.InferParameter{"binary_data": {ParameterChoice: &inference.InferParameter_BoolParam{}}}}},
	}
	body, err := inferBody(req)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"req-1","parameters":{"big":9007199254740993,"flag":true,"ratio":2.0,"signature_name":"serving_default","u":18446744073709551615},` +
		`"inputs":[{"name":"a","shape":[1],"datatype":"FP32","data":[1.0]},` +
		`{"name":"b","shape":[1],"datatype":"INT32","parameters":{"p":"x"},"data":[2]}],` +
		`"outputs":[{"name":"y"},{"name":"z","parameters":{"binary_data":false}}]}`
	if string(body) != want {
		t.Fatalf("body\n %s\nwant\n %s", body, want)
	}
}

func TestInferBodyRefusesWhatJSONCannotExpress(t *testing.T) {
	fp32 := input("x", "FP32", []int64{1}, &contents{Fp32Contents: []float32{1}})
	for _, tc := range []struct {
		name string
		req  *inference.ModelInferRequest
		code status.Code
	}{
		{"raw for some inputs only", &inference.ModelInferRequest{Inputs: []*inputTensor{fp32, input("y", "FP32", []int64{1}, nil)}, RawInputContents: [][]byte{le(float32(1))}},
			status.InvalidArgument},
		{"raw and typed contents on one input", &inference.ModelInferRequest{Inputs: []*inputTensor{fp32}, RawInputContents: [][]byte{le(float32(1))}}, status.InvalidArgument},
		{"raw not a multiple of the element size", &inference.ModelInferRequest{Inputs: []*inputTensor{input("x", "FP32", []int64{1}, nil)}, RawInputContents: [][]byte{{1, 2}}},
			status.InvalidArgument},
		{"raw BYTES with a broken prefix", &inference.ModelInferRequest{Inputs: []*inputTensor{input("s", "BYTES", []int64{1}, nil)}, RawInputContents: [][]byte{le(uint32(9), 'a')}},
			status.InvalidArgument},
		{"contents in another datatype's field", &inference.ModelInferRequest{Inputs: []*inputTensor{input("x", "FP32", []int64{1}, &contents{IntContents: []int32{1}})}},
			status.InvalidArgument},
		{"two fields", &inference.ModelInferRequest{Inputs: []*inputTensor{input("x", "INT64", []int64{1}, &contents{Int64Contents: []int64{1}, IntContents: []int32{1}})}},
			status.InvalidArgument},
		{"FP16 in a typed field", &inference.ModelInferRequest{Inputs: []*inputTensor{input("h", "FP16", []int64{1}, &contents{Fp32Contents: []float32{1}})}},
			status.InvalidArgument},
		{"unknown datatype with raw values", &inference.ModelInferRequest{Inputs: []*inputTensor{input("c", "COMPLEX64", []int64{1}, nil)}, RawInputContents: [][]byte{make([]byte, 8)}},
			status.InvalidArgument},
		{"BYTES not valid UTF-8", &inference.ModelInferRequest{Inputs: []*inputTensor{input("s", "BYTES", []int64{1}, &contents{BytesContents: [][]byte{{0xff}}})}},
			status.Unimplemented},
		{"raw BYTES not valid UTF-8", &inference.ModelInferRequest{Inputs: []*inputTensor{input("s", "BYTES", []int64{1}, nil)}, RawInputContents: [][]byte{le(uint32(1), uint8(0xc3))}},
			status.Unimplemented},
		{"parameter without a value", &inference.ModelInferRequest{Parameters: map[string]*inference.InferParameter{"p": {}}, Inputs: []*inputTensor{fp32}},
			status.InvalidArgument},
	} {
		if _, err := inferBody(tc.req); status.CodeOf(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	// An unknown datatype without values reaches the server, which names the problem.
	body, err := inferBody(&inference.ModelInferRequest{Inputs: []*inputTensor{input("c", "COMPLEX64", []int64{0}, nil)}})
	if err != nil || string(body) != `{"inputs":[{"name":"c","shape":[0],"datatype":"COMPLEX64","data":[]}]}` {
		t.Fatalf("%s %v", body, err)
	}
}

func output(name, datatype string, shape []int64, c *contents) *outputTensor {
	return &outputTensor{Name: name, Datatype: datatype, Shape: shape, Contents: c}
}

func TestInferResponseReadsEveryDatatypeIntoTypedContents(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		out        *outputTensor
	}{
		{"BOOL", `[true,false]`, output("o", "BOOL", []int64{2}, &contents{BoolContents: []bool{true, false}})},
		{"INT8", `[-128,127]`, output("o", "INT8", []int64{2}, &contents{IntContents: []int32{-128, 127}})},
		{"INT16", `[-32768]`, output("o", "INT16", []int64{1}, &contents{IntContents: []int32{-32768}})},
		{"INT32", `[2147483647]`, output("o", "INT32", []int64{1}, &contents{IntContents: []int32{math.MaxInt32}})},
		{"INT64 beyond 2^53", `[9007199254740993,-9223372036854775808]`, output("o", "INT64", []int64{2}, &contents{Int64Contents: []int64{1<<53 + 1, math.MinInt64}})},
		{"UINT8", `[255]`, output("o", "UINT8", []int64{1}, &contents{UintContents: []uint32{255}})},
		{"UINT16", `[65535]`, output("o", "UINT16", []int64{1}, &contents{UintContents: []uint32{65535}})},
		{"UINT32", `[4294967295]`, output("o", "UINT32", []int64{1}, &contents{UintContents: []uint32{math.MaxUint32}})},
		{"UINT64", `[18446744073709551615]`, output("o", "UINT64", []int64{1}, &contents{Uint64Contents: []uint64{math.MaxUint64}})},
		{"FP32 from its double or its own shortest form", `[0.10000000149011612,0.1,1,-2.5e-3]`,
			output("o", "FP32", []int64{4}, &contents{Fp32Contents: []float32{0.1, 0.1, 1, -2.5e-3}})},
		{"FP64", `[0.1,5e-324,1e300]`, output("o", "FP64", []int64{3}, &contents{Fp64Contents: []float64{0.1, 5e-324, 1e300}})},
		{"BYTES", `["héllo","","\u0000\ud83d\ude00"]`, output("o", "BYTES", []int64{3}, &contents{BytesContents: [][]byte{[]byte("héllo"), {}, []byte("\x00\U0001F600")}})},
		{"nested data, row-major", `[[1,2,3],[4,5,6]]`, output("o", "INT32", []int64{2, 3}, &contents{IntContents: []int32{1, 2, 3, 4, 5, 6}})},
		{"scalar", `[7]`, output("o", "INT64", []int64{}, &contents{Int64Contents: []int64{7}})},
		{"zero elements", `[]`, output("o", "FP32", []int64{0, 4}, &contents{Fp32Contents: []float32{}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"model_name":"m","model_version":"3","outputs":[{"name":"o","datatype":"` + tc.out.Datatype + `","shape":` + jsonShape(tc.out.Shape) + `,"data":` + tc.data + `}]}`
			got, err := inferResponse([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			want := &inference.ModelInferResponse{ModelName: "m", ModelVersion: "3", Outputs: []*outputTensor{tc.out}}
			if !proto.Equal(got, want) {
				t.Fatalf("got %v\nwant %v", got, want)
			}
		})
	}
}

func TestInferResponseKeepsFloatBitsNaNAndInfinities(t *testing.T) {
	got, err := inferResponse([]byte(`{"outputs":[{"name":"f","datatype":"FP32","shape":[4],"data":[NaN,Infinity,-Infinity,-0.0]},` +
		`{"name":"d","datatype":"FP64","shape":[2],"data":[-0.0,NaN]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	f := got.Outputs[0].Contents.Fp32Contents
	if f[0] == f[0] || !math.IsInf(float64(f[1]), 1) || !math.IsInf(float64(f[2]), -1) || math.Float32bits(f[3]) != 0x80000000 {
		t.Fatalf("FP32 %v", f)
	}
	if d := got.Outputs[1].Contents.Fp64Contents; math.Float64bits(d[0]) != 1<<63 || d[1] == d[1] {
		t.Fatalf("FP64 %v", d)
	}
}

func TestInferResponseWithHalfOrBFloat16PutsEveryOutputInRaw(t *testing.T) {
	body := `{"model_name":"m","model_version":"1","id":"r","outputs":[` +
		`{"name":"h","datatype":"FP16","shape":[4],"data":[1.0,0.0999755859375,65504.0,-Infinity]},` +
		`{"name":"b","datatype":"BF16","shape":[2],"data":[0.10009765625,-1]},` +
		`{"name":"s","datatype":"BYTES","shape":[1],"data":["ab"]},` +
		`{"name":"i","datatype":"INT32","shape":[1],"data":[-1]}]}`
	got, err := inferResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := &inference.ModelInferResponse{
		ModelName: "m", ModelVersion: "1", Id: "r",
		Outputs: []*outputTensor{output("h", "FP16", []int64{4}, nil), output("b", "BF16", []int64{2}, nil),
			output("s", "BYTES", []int64{1}, nil), output("i", "INT32", []int64{1}, nil)},
		RawOutputContents: [][]byte{
			le(uint16(0x3c00), uint16(0x2e66), uint16(0x7bff), uint16(0xfc00)),
			le(uint16(0x3dcd), uint16(0xbf80)),
			append(le(uint32(2)), 'a', 'b'),
			le(int32(-1)),
		},
	}
	if !proto.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

func TestInferResponseReadsParameters(t *testing.T) {
	got, err := inferResponse([]byte(`{"model_name":"m","parameters":{"b":true,"s":"x","i":-3,"big":9007199254740993,"u":18446744073709551615,"d":0.5,"e":1e3},` +
		`"outputs":[{"name":"o","datatype":"BOOL","shape":[1],"parameters":{"n":1},"data":[false]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	p := func(v any) *inference.InferParameter {
		switch v := v.(type) {
		case bool:
			return &inference.InferParameter{ParameterChoice: &inference.InferParameter_BoolParam{BoolParam: v}}
		case string:
			return &inference.InferParameter{ParameterChoice: &inference.InferParameter_StringParam{StringParam: v}}
		case int64:
			return &inference.InferParameter{ParameterChoice: &inference.InferParameter_Int64Param{Int64Param: v}}
		case uint64:
			return &inference.InferParameter{ParameterChoice: &inference.InferParameter_Uint64Param{Uint64Param: v}}
		}
		return &inference.InferParameter{ParameterChoice: &inference.InferParameter_DoubleParam{DoubleParam: v.(float64)}}
	}
	want := &inference.ModelInferResponse{
		ModelName: "m",
		Parameters: map[string]*inference.InferParameter{"b": p(true), "s": p("x"), "i": p(int64(-3)), "big": p(int64(1<<53 + 1)),
			"u": p(uint64(math.MaxUint64)), "d": p(0.5), "e": p(1000.0)},
		Outputs: []*outputTensor{{Name: "o", Datatype: "BOOL", Shape: []int64{1}, Parameters: map[string]*inference.InferParameter{"n": p(int64(1))},
			Contents: &contents{BoolContents: []bool{false}}}},
	}
	if !proto.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

func TestInferResponseThatDoesNotParseIsInternal(t *testing.T) {
	out := func(fields string) string { return `{"model_name":"m","outputs":[{` + fields + `}]}` }
	for name, body := range map[string]string{
		"not JSON":                     `{"outputs":`,
		"not an object":                `[1]`,
		"no outputs":                   `{"model_name":"m"}`,
		"outputs not a list":           `{"outputs":{"o":[1]}}`,
		"output not an object":         `{"outputs":[1]}`,
		"no name":                      out(`"datatype":"FP32","shape":[1],"data":[1]`),
		"no datatype":                  out(`"name":"o","shape":[1],"data":[1]`),
		"unknown datatype":             out(`"name":"o","datatype":"COMPLEX64","shape":[1],"data":[1]`),
		"no shape":                     out(`"name":"o","datatype":"FP32","data":[1]`),
		"negative dimension":           out(`"name":"o","datatype":"FP32","shape":[-1],"data":[1]`),
		"fractional dimension":         out(`"name":"o","datatype":"FP32","shape":[1.5],"data":[1]`),
		"no data":                      out(`"name":"o","datatype":"FP32","shape":[1]`),
		"data not a list":              out(`"name":"o","datatype":"FP32","shape":[],"data":1`),
		"too few values":               out(`"name":"o","datatype":"FP32","shape":[2,2],"data":[1,2,3]`),
		"too many values":              out(`"name":"o","datatype":"FP32","shape":[2],"data":[[1,2],[3]]`),
		"a number for BOOL":            out(`"name":"o","datatype":"BOOL","shape":[1],"data":[1]`),
		"a float for INT32":            out(`"name":"o","datatype":"INT32","shape":[1],"data":[1.0]`),
		"beyond INT8":                  out(`"name":"o","datatype":"INT8","shape":[1],"data":[128]`),
		"negative UINT64":              out(`"name":"o","datatype":"UINT64","shape":[1],"data":[-1]`),
		"beyond INT64":                 out(`"name":"o","datatype":"INT64","shape":[1],"data":[9223372036854775808]`),
		"a string for FP32":            out(`"name":"o","datatype":"FP32","shape":[1],"data":["1"]`),
		"b64 object for BYTES":         out(`"name":"o","datatype":"BYTES","shape":[1],"data":[{"b64":"YQ=="}]`),
		"null value":                   out(`"name":"o","datatype":"FP32","shape":[1],"data":[null]`),
		"model_name not a string":      `{"model_name":1,"outputs":[]}`,
		"parameters not an object":     `{"parameters":[1],"outputs":[]}`,
		"a list parameter":             `{"parameters":{"p":[1]},"outputs":[]}`,
		"a parameter beyond a double":  `{"parameters":{"p":1e400},"outputs":[]}`,
		"output parameter of the kind": out(`"name":"o","datatype":"FP32","shape":[1],"parameters":{"p":null},"data":[1]`),
	} {
		if _, err := inferResponse([]byte(body)); status.CodeOf(err) != status.Internal {
			t.Errorf("%s: %v, want INTERNAL", name, err)
		}
	}
}

func TestInferBodyAndResponseRoundTrip(t *testing.T) {
	// What inferBody writes for a typed request, a server echoing inputs as
	// outputs would answer; reading it back gives the same contents.
	req := &inference.ModelInferRequest{ModelName: "m", Inputs: []*inputTensor{
		input("a", "FP32", []int64{2}, &contents{Fp32Contents: []float32{0.1, float32(math.Inf(-1))}}),
		input("b", "INT64", []int64{1, 1}, &contents{Int64Contents: []int64{-(1<<53 + 1)}}),
		input("c", "BYTES", []int64{1}, &contents{BytesContents: [][]byte{[]byte("ü")}}),
		input("d", "BOOL", []int64{1}, &contents{BoolContents: []bool{true}}),
	}}
	body, err := inferBody(req)
	if err != nil {
		t.Fatal(err)
	}
	echo := strings.Replace(strings.Replace(string(body), `"inputs"`, `"outputs"`, 1), `{`, `{"model_name":"m",`, 1)
	got, err := inferResponse([]byte(echo))
	if err != nil {
		t.Fatal(err)
	}
	for i, in := range req.Inputs {
		o := got.Outputs[i]
		if o.Name != in.Name || o.Datatype != in.Datatype || !proto.Equal(o.Contents, in.Contents) {
			t.Errorf("%s came back as %v", in.Name, o)
		}
	}
}
