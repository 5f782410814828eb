package tfcapi

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/tensor"
)

// sample builds a small tensor of d with edge values.
func sample(t *testing.T, d tensor.DType) *tensor.Tensor {
	t.Helper()
	if d == tensor.String {
		return &tensor.Tensor{DType: d, Shape: []int64{2, 3}, Strings: [][]byte{
			{}, []byte("short"), {0xff, 0x00, 0xfe}, []byte(strings.Repeat("long string beyond the small-string buffer ", 3)),
			[]byte("é"), bytes.Repeat([]byte{0}, 40),
		}}
	}
	tt, err := tensor.New(d, []int64{2, 3})
	if err != nil {
		t.Fatal(err)
	}
	floats := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 0.1, -65504}
	ints := []int64{math.MinInt64, math.MaxInt64, -1, 0, 1, 1<<53 + 1}
	for i := range 6 {
		tt.SetFloat(i, floats[i])
		tt.SetInt(i, ints[i])
		tt.SetComplex(i, complex(floats[i], floats[5-i]))
	}
	return tt
}

func TestEveryDTypeSurvivesASessionRunBitForBit(t *testing.T) {
	for _, d := range tensor.DTypes() {
		t.Run(tensor.Name(d), func(t *testing.T) {
			s, err := identitySession(d)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			in := sample(t, d)
			out, err := s.Run([]Endpoint{{Op: "in"}}, []*tensor.Tensor{in}, []Endpoint{{Op: "out"}})
			if err != nil {
				t.Fatal(err)
			}
			got := out[0]
			if got.DType != d || len(got.Shape) != 2 || got.Shape[0] != 2 || got.Shape[1] != 3 || !bytes.Equal(got.Data, in.Data) {
				t.Fatalf("got %+v, want %+v", got, in)
			}
			for i := range in.Strings {
				if !bytes.Equal(got.Strings[i], in.Strings[i]) {
					t.Fatalf("string %d: got %q, want %q", i, got.Strings[i], in.Strings[i])
				}
			}
		})
	}
}

func TestRunIsSafeForConcurrentCallers(t *testing.T) {
	s, err := identitySession(tensor.String)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := sample(t, tensor.String)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				out, err := s.Run([]Endpoint{{Op: "in"}}, []*tensor.Tensor{in}, []Endpoint{{Op: "out"}})
				if err != nil || !bytes.Equal(out[0].Strings[3], in.Strings[3]) {
					t.Errorf("concurrent run: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestRuntimeErrorsKeepTensorFlowsCode(t *testing.T) {
	s, err := identitySession(tensor.Float)
	if err != nil {
		t.Fatal(err)
	}
	// An int32 value fed to a float placeholder: TensorFlow says INVALID_ARGUMENT.
	_, err = s.Run([]Endpoint{{Op: "in"}}, []*tensor.Tensor{sample(t, tensor.Int32)}, []Endpoint{{Op: "out"}})
	if status.CodeOf(err) != status.InvalidArgument {
		t.Fatalf("got %v, want INVALID_ARGUMENT", err)
	}
	// Not feeding the placeholder at all.
	_, err = s.Run(nil, nil, []Endpoint{{Op: "out"}})
	if status.CodeOf(err) != status.InvalidArgument {
		t.Fatalf("got %v, want INVALID_ARGUMENT", err)
	}
	if _, err = s.Run(nil, nil, []Endpoint{{Op: "missing"}}); status.CodeOf(err) != status.Internal {
		t.Fatalf("unknown op: %v", err)
	}
	s.Close()
	if _, err = s.Run(nil, nil, []Endpoint{{Op: "out"}}); status.CodeOf(err) != status.FailedPrecondition {
		t.Fatalf("closed session: %v", err)
	}
}

func TestLoadOfAMissingSavedModelKeepsTheCode(t *testing.T) {
	_, err := Load(t.TempDir(), []string{"serve"})
	if code := status.CodeOf(err); code == status.OK || code == status.Unknown {
		t.Fatalf("got %v", err)
	}
}

func TestVersionNamesTheLoadedLibrary(t *testing.T) {
	if v, err := Version(); err != nil || !strings.HasPrefix(v, "2.") {
		t.Fatalf("TF_Version() = %q, %v", v, err)
	}
}

// floats is a float tensor of shape holding vals.
func floats(shape []int64, vals ...float32) *tensor.Tensor {
	t := &tensor.Tensor{DType: tensor.Float, Shape: shape, Data: make([]byte, 4*len(vals))}
	for i, v := range vals {
		t.SetFloat(i, float64(v))
	}
	return t
}

// floatIdentityCall is a prepared in -> out call on a float identity
// session, closed when the test ends.
func floatIdentityCall(t *testing.T) *Call {
	t.Helper()
	s, err := identitySession(tensor.Float)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	call, err := s.Prepare([]Endpoint{{Op: "in"}}, []Endpoint{{Op: "out"}})
	if err != nil {
		t.Fatal(err)
	}
	return call
}

func TestAPreparedCallRefillsItsInputsAndKeepsEarlierResults(t *testing.T) {
	call := floatIdentityCall(t)
	// The same shape twice (the second run refills the first's input
	// tensor), then other shapes, empty included, then the first again.
	values := []*tensor.Tensor{
		floats([]int64{2, 2}, 1, 2, 3, 4),
		floats([]int64{2, 2}, 5, 6, 7, 8),
		floats([]int64{4}, 5, 6, 7, 8),
		floats([]int64{0, 3}),
		floats([]int64{3}, 9, 10, 11),
		floats([]int64{2, 2}, -1, -2, -3, -4),
	}
	var got []*tensor.Tensor
	for _, v := range values {
		out, err := call.Run([]*tensor.Tensor{v})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, out[0])
	}
	for i, v := range values {
		if !slices.Equal(got[i].Shape, v.Shape) || !bytes.Equal(got[i].Data, v.Data) {
			t.Errorf("run %d: got shape %v data %v, want %v %v", i, got[i].Shape, got[i].Data, v.Shape, v.Data)
		}
	}
}

func TestRunFuncResultsAreTheRunsOwn(t *testing.T) {
	call := floatIdentityCall(t)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				v := floats([]int64{1, 3}, float32(g), float32(i), float32(g*i))
				err := call.RunFunc([]*tensor.Tensor{v}, func(results []*tensor.Tensor) error {
					if len(results) != 1 || !slices.Equal(results[0].Shape, v.Shape) || !bytes.Equal(results[0].Data, v.Data) {
						t.Errorf("goroutine %d run %d: got %+v, want %+v", g, i, results, v)
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	want := errors.New("use failed")
	if err := call.RunFunc([]*tensor.Tensor{floats([]int64{1}, 1)}, func([]*tensor.Tensor) error { return want }); err != want {
		t.Fatalf("RunFunc returned %v, want use's error", err)
	}
}
