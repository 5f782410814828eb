// Package signature selects a SignatureDef and validates a Predict request
// against it as TF Serving's predict_util.cc does: unknown signature
// FAILED_PRECONDITION; wrong input count, unknown alias, wrong dtype, an
// unparsable tensor or a bad output_filter INVALID_ARGUMENT.
package signature

import (
	"fmt"
	"slices"
	"strings"

	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/framework"
	corepb "tfinterop.dev/clients/go/internal/gen/tensorflow/core/protobuf"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
)

// Names TF Serving uses.
const (
	DefaultKey     = "serving_default"
	PredictMethod  = "tensorflow/serving/predict"
	ClassifyMethod = "tensorflow/serving/classify"
	RegressMethod  = "tensorflow/serving/regress"
	ServeTag       = "serve"
)

// Select returns the signature named name ("" means serving_default).
func Select(mg *corepb.MetaGraphDef, name string) (string, *corepb.SignatureDef, error) {
	key := name
	if key == "" {
		key = DefaultKey
	}
	sig, ok := mg.GetSignatureDef()[key]
	if !ok {
		return "", nil, status.Errorf(status.FailedPrecondition, "Serving signature key \"%s\" not found.", key)
	}
	return key, sig, nil
}

// Feed is one validated input: the graph tensor it feeds and its value.
type Feed struct {
	Alias  string
	Tensor string // graph tensor name, "op:index"
	Value  *tensor.Tensor
}

// Fetch is one requested output.
type Fetch struct {
	Alias  string
	Tensor string
}

// Inputs checks request inputs against sig and decodes them, filling absent
// inputs from the signature's defaults. Feeds come in alias order; a value
// may share the bytes of its request tensor (tensor.DecodeShared).
func Inputs(sig *corepb.SignatureDef, inputs map[string]*framework.TensorProto) ([]Feed, error) {
	method := sig.GetMethodName()
	if method != PredictMethod && method != ClassifyMethod && method != RegressMethod {
		return nil, status.Errorf(status.Internal,
			"Expected prediction signature method_name to be one of {%s, %s, %s}. Was: %s",
			PredictMethod, ClassifyMethod, RegressMethod, method)
	}
	wanted := sig.GetInputs()
	// The key lists live on the stack for a signature of a few inputs.
	all := appendSortedKeys(make([]string, 0, 8), wanted)
	if len(inputs) > len(wanted) || (len(inputs) < len(wanted) && len(sig.GetDefaults()) == 0) {
		sent := sortedKeys(inputs)
		extra := slices.DeleteFunc(slices.Clone(sent), func(k string) bool { _, ok := wanted[k]; return ok })
		missing := slices.DeleteFunc(slices.Clone(all), func(k string) bool { _, ok := inputs[k]; return ok })
		return nil, status.Errorf(status.InvalidArgument,
			"input size does not match signature: %d!=%d len({%s}) != len({%s}). Sent extra: {%s}. Missing but required: {%s}.",
			len(sent), len(wanted), strings.Join(sent, ","), strings.Join(all, ","),
			strings.Join(extra, ","), strings.Join(missing, ","))
	}
	for alias := range inputs {
		if _, ok := wanted[alias]; !ok {
			// The first unknown alias in sorted order, as TF Serving names it.
			for _, alias := range sortedKeys(inputs) {
				if _, ok := wanted[alias]; !ok {
					return nil, status.Errorf(status.InvalidArgument,
						"input tensor alias not found in signature: %s. Inputs expected to be in the set {%s}.",
						alias, strings.Join(all, ","))
				}
			}
		}
	}
	feeds := make([]Feed, 0, len(all))
	for index, alias := range all {
		info := wanted[alias]
		proto, ok := inputs[alias]
		if !ok {
			if proto, ok = sig.GetDefaults()[alias]; !ok {
				return nil, status.Errorf(status.InvalidArgument,
					"input size does not match signature: missing input %s and the signature has no default for it", alias)
			}
		}
		if proto.GetDtype() != info.GetDtype() {
			return nil, status.Errorf(status.InvalidArgument, "Expects arg[%d] to be %s but %s is provided",
				index, tensor.Name(info.GetDtype()), tensor.Name(proto.GetDtype()))
		}
		name, err := tensorName(info, alias)
		if err != nil {
			return nil, err
		}
		// The value is only read, by the run that copies it into TensorFlow.
		value, err := tensor.DecodeShared(proto)
		if err != nil {
			return nil, status.Errorf(status.InvalidArgument, "tensor parsing error: %s: %s", alias, status.FromError(err).Message)
		}
		feeds = append(feeds, Feed{Alias: alias, Tensor: name, Value: value})
	}
	return feeds, nil
}

// Outputs are the outputs to fetch: output_filter in its order, checked for
// unknown and duplicate aliases, else every output in alias order.
func Outputs(sig *corepb.SignatureDef, filter []string) ([]Fetch, error) {
	outs := sig.GetOutputs()
	aliases := filter
	if len(aliases) == 0 {
		aliases = appendSortedKeys(make([]string, 0, 8), outs)
	}
	var seen map[string]bool // only a filter can repeat an alias
	if len(filter) > 1 {
		seen = make(map[string]bool, len(filter))
	}
	fetches := make([]Fetch, 0, len(aliases))
	for _, alias := range aliases {
		info, ok := outs[alias]
		if !ok {
			return nil, status.Errorf(status.InvalidArgument,
				"output tensor alias not found in signature: %s Outputs expected to be in the set {%s}.",
				alias, strings.Join(sortedKeys(outs), ","))
		}
		if seen[alias] {
			return nil, status.Errorf(status.InvalidArgument, "duplicate output tensor alias: %s", alias)
		}
		if seen != nil {
			seen[alias] = true
		}
		name, err := tensorName(info, alias)
		if err != nil {
			return nil, err
		}
		fetches = append(fetches, Fetch{Alias: alias, Tensor: name})
	}
	return fetches, nil
}

// tensorName is the dense graph tensor behind a TensorInfo; sparse and
// composite signature tensors are not served by Predict over the C API.
func tensorName(info *corepb.TensorInfo, alias string) (string, error) {
	name, ok := info.GetEncoding().(*corepb.TensorInfo_Name)
	if !ok {
		return "", status.Errorf(status.Unimplemented, "signature tensor %s is not a dense tensor (%T)", alias, info.GetEncoding())
	}
	return name.Name, nil
}

// ParseTensorName splits "op:index" (index 0 when absent).
func ParseTensorName(name string) (op string, index int, err error) {
	op, idx, found := strings.Cut(name, ":")
	if !found {
		return name, 0, nil
	}
	if _, err := fmt.Sscanf(idx, "%d", &index); err != nil || index < 0 {
		return "", 0, status.Errorf(status.Internal, "bad tensor name %q in signature", name)
	}
	return op, index, nil
}

func sortedKeys[V any](m map[string]V) []string {
	return appendSortedKeys(make([]string, 0, len(m)), m)
}

// appendSortedKeys appends m's keys, sorted, to keys.
func appendSortedKeys[V any](keys []string, m map[string]V) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
