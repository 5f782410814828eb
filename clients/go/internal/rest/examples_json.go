package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"

	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/example"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/status"
)

// Classify and Regress send tf.Examples as JSON objects: {"signature_name",
// "context"?, "examples": [{feature: [values]}]}. TF Serving infers each
// feature's list type from the JSON tokens: integers make an int64_list,
// numbers with a fraction or exponent a float_list, strings (or {"b64"}) a
// bytes_list. So float features always carry a decimal point.

func examplesBody(spec *apis.ModelSpec, input *apis.Input) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	if name := spec.GetSignatureName(); name != "" {
		enc, _ := json.Marshal(name)
		buf.WriteString(`"signature_name":`)
		buf.Write(enc)
		buf.WriteByte(',')
	}
	var examples []*example.Example
	switch kind := input.GetKind().(type) {
	case *apis.Input_ExampleList:
		examples = kind.ExampleList.GetExamples()
	case *apis.Input_ExampleListWithContext:
		examples = kind.ExampleListWithContext.GetExamples()
		buf.WriteString(`"context":`)
		writeExampleJSON(&buf, kind.ExampleListWithContext.GetContext())
		buf.WriteByte(',')
	}
	buf.WriteString(`"examples":[`)
	for i, e := range examples {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeExampleJSON(&buf, e)
	}
	buf.WriteString("]}")
	return buf.Bytes(), nil
}

func writeExampleJSON(buf *bytes.Buffer, e *example.Example) {
	features := e.GetFeatures().GetFeature()
	buf.WriteByte('{')
	for i, name := range slices.Sorted(maps.Keys(features)) {
		if i > 0 {
			buf.WriteByte(',')
		}
		enc, _ := json.Marshal(name)
		buf.Write(enc)
		buf.WriteString(":[")
		switch kind := features[name].GetKind().(type) {
		case *example.Feature_FloatList:
			for j, v := range kind.FloatList.GetValue() {
				if j > 0 {
					buf.WriteByte(',')
				}
				buf.WriteString(floatFeature(v))
			}
		case *example.Feature_Int64List:
			for j, v := range kind.Int64List.GetValue() {
				if j > 0 {
					buf.WriteByte(',')
				}
				buf.WriteString(strconv.FormatInt(v, 10))
			}
		case *example.Feature_BytesList:
			for j, v := range kind.BytesList.GetValue() {
				if j > 0 {
					buf.WriteByte(',')
				}
				writeString(buf, v)
			}
		}
		buf.WriteByte(']')
	}
	buf.WriteByte('}')
}

// floatFeature is v as its exact double in shortest form; formatFloat keeps a
// decimal point, so TF Serving reads a float, not an int64.
func floatFeature(v float32) string {
	return formatFloat(float64(v))
}

func (t *Transport) classify(ctx context.Context, req *apis.ClassificationRequest) (*apis.ClassificationResponse, error) {
	results, err := t.examplesCall(ctx, req.GetModelSpec(), req.GetInput(), ":classify")
	if err != nil {
		return nil, err
	}
	out := &apis.ClassificationResult{}
	for i, row := range results {
		if row.kind != kArray {
			return nil, badJSON("classification result %d is not a list", i)
		}
		c := &apis.Classifications{}
		for _, pair := range row.items {
			if pair.kind != kArray || len(pair.items) != 2 || pair.items[0].kind != kString || pair.items[1].kind != kNumber {
				return nil, badJSON("classification result %d: expected [label, score] pairs", i)
			}
			score, err := parseFloat(pair.items[1].text, 32)
			if err != nil {
				return nil, err
			}
			c.Classes = append(c.Classes, &apis.Class{Label: pair.items[0].text, Score: float32(score)})
		}
		out.Classifications = append(out.Classifications, c)
	}
	return &apis.ClassificationResponse{Result: out}, nil
}

func (t *Transport) regress(ctx context.Context, req *apis.RegressionRequest) (*apis.RegressionResponse, error) {
	results, err := t.examplesCall(ctx, req.GetModelSpec(), req.GetInput(), ":regress")
	if err != nil {
		return nil, err
	}
	out := &apis.RegressionResult{}
	for i, v := range results {
		if v.kind != kNumber {
			return nil, badJSON("regression result %d is not a number", i)
		}
		f, err := parseFloat(v.text, 32)
		if err != nil {
			return nil, err
		}
		out.Regressions = append(out.Regressions, &apis.Regression{Value: float32(f)})
	}
	return &apis.RegressionResponse{Result: out}, nil
}

// examplesCall posts the examples body and returns the "results" list.
func (t *Transport) examplesCall(ctx context.Context, spec *apis.ModelSpec, input *apis.Input, verb string) ([]*node, error) {
	body, err := examplesBody(spec, input)
	if err != nil {
		return nil, err
	}
	data, err := t.do(ctx, http.MethodPost, t.modelURL(spec)+verb, body)
	if err != nil {
		return nil, err
	}
	root, err := parseJSON(data)
	if err != nil {
		return nil, badJSON("%v", err)
	}
	results, ok := root.get("results")
	if root.kind != kObject || !ok || results.kind != kArray {
		return nil, status.Errorf(status.Internal, `REST response: no "results" list`)
	}
	return results.items, nil
}
