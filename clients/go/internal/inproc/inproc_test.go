package inproc

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"tfinterop.dev/clients/go/internal/canonical"
	"tfinterop.dev/clients/go/internal/cases"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/status"
	"tfinterop.dev/clients/go/internal/transport"
)

// goldenCases is the MNIST case set `make export` writes; tests that need a
// real SavedModel skip when it has not been built.
func goldenCases(t testing.TB) *cases.Manifest {
	t.Helper()
	dir := filepath.Join("..", "..", "..", "..", "build", "cases", "mnist")
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		t.Skip("build/cases/mnist not exported (make export)")
	}
	m, err := cases.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInprocAnswersEveryGoldenCaseExactly(t *testing.T) {
	m := goldenCases(t)
	tr, err := New(m.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	// A response of its own per call, and one caller's response refilled
	// case after case (signatures, output filters and errors in between).
	callers := []struct {
		name   string
		caller transport.Caller
	}{{"new", tr}, {"reused", tr.NewCaller()}}
	for _, way := range callers {
		for i := range m.Cases {
			c := &m.Cases[i]
			if c.AppliesTo("inproc") {
				t.Run(way.name+"/"+c.ID, func(t *testing.T) { answersExactly(t, m, c, way.caller) })
			}
		}
	}
}

// answersExactly checks caller's answer to c: its code, or its response
// byte for byte.
func answersExactly(t *testing.T, m *cases.Manifest, c *cases.Case, caller transport.Caller) {
	msg, err := c.ParseRequest()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := caller.Call(context.Background(), transport.Request{API: c.API, Message: msg})
	if c.Error != "" {
		if got := status.CodeOf(err).String(); got != c.Error {
			t.Fatalf("code %s (%v), want %s", got, err, c.Error)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join(m.Dir, c.Response))
	if err != nil {
		t.Fatal(err)
	}
	// Same TensorFlow build as the producer: the bytes must match.
	if got := canonical.Marshal(resp); !bytes.Equal(got, want) {
		t.Fatalf("response differs from the golden %s", c.Response)
	}
}

func TestServerAPIsAreUnimplementedInProcess(t *testing.T) {
	m := goldenCases(t)
	tr, err := New(m.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	for _, api := range []string{cases.Classify, cases.Regress, cases.MultiInference} {
		msg, _ := cases.NewRequest(api)
		if _, err := tr.Call(context.Background(), transport.Request{API: api, Message: msg}); status.CodeOf(err) != status.Unimplemented {
			t.Errorf("%s: %v", api, err)
		}
	}
}

// paddedModels copies build/models/mnist/1 to a fresh base folder as
// 00000001 (TF Serving's own testdata layout), adds an empty folder 2 (a
// version to TF Serving, which leaves judging it to the loader) and writes a
// models.config serving every version of the base as "mnist".
func paddedModels(t *testing.T, m *cases.Manifest) string {
	t.Helper()
	src := filepath.Join(filepath.Dir(filepath.Dir(m.Dir)), "models", "mnist", "1")
	root := t.TempDir()
	base := filepath.Join(root, "saved_model_mnist")
	if err := os.CopyFS(filepath.Join(base, "00000001"), os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(base, "2"), 0o755); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(root, "models.config")
	text := `model_config_list { config { name: "mnist" base_path: "` + base + `" model_platform: "tensorflow" model_version_policy { all {} } } }`
	if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return config
}

func TestInprocRunsAZeroPaddedVersionFolder(t *testing.T) {
	m := goldenCases(t)
	c := m.Find("v1-test-0000")
	if c == nil {
		t.Fatal("case v1-test-0000 missing")
	}
	tr, err := New(paddedModels(t, m))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	msg, err := c.ParseRequest()
	if err != nil {
		t.Fatal(err)
	}
	req := msg.(*apis.PredictRequest)
	if got := req.GetModelSpec().GetVersion().GetValue(); got != 1 {
		t.Fatalf("the golden request asks for version %d, want 1", got)
	}
	want, err := os.ReadFile(filepath.Join(m.Dir, c.Response))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.Call(context.Background(), transport.Request{API: c.API, Message: req})
	if err != nil {
		t.Fatalf("version 1 from 00000001: %v", err)
	}
	if v := resp.(*apis.PredictResponse).GetModelSpec().GetVersion().GetValue(); v != 1 {
		t.Fatalf("model_spec.version %d, want 1", v)
	}
	if !bytes.Equal(canonical.Marshal(resp), want) {
		t.Fatal("response from 00000001 differs from the golden")
	}

	// Version 2 is listed (TF Serving does not look inside) and its load fails
	// with the loader's error, not a resolution NOT_FOUND.
	v2 := proto.Clone(req).(*apis.PredictRequest)
	v2.ModelSpec.VersionChoice = &apis.ModelSpec_Version{Version: wrapperspb.Int64(2)}
	_, err = tr.Call(context.Background(), transport.Request{API: c.API, Message: v2})
	if err == nil || !strings.Contains(err.Error(), "loading SavedModel") {
		t.Fatalf("empty version folder 2: %v, want the loader's error", err)
	}
}

func TestRuntimeNamesTheTensorFlowBuild(t *testing.T) {
	m := goldenCases(t)
	tr, err := New(m.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	rt := tr.Runtime()
	if rt["tensorflow"] == "" || rt["tensorflow_build"] != "pip:tensorflow=="+rt["tensorflow"] {
		t.Fatalf("runtime %v", rt)
	}
	// The C API is the wheel that recorded the goldens: the judge's
	// bit-exact comparison depends on the two fields being equal.
	if want, ok := m.Producer["tensorflow_build"]; ok && rt["tensorflow_build"] != want {
		t.Fatalf("tensorflow_build %q, producer %q", rt["tensorflow_build"], want)
	}
}

func TestBareReferenceRunsOnTheClientsOwnSession(t *testing.T) {
	m := goldenCases(t)
	c := m.Find("v1-test-0000")
	if c == nil {
		t.Fatal("case v1-test-0000 missing")
	}
	tr, err := New(m.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	msg, err := c.ParseRequest()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Call(context.Background(), transport.Request{API: c.API, Message: msg}); err != nil {
		t.Fatal(err)
	}
	bare, err := tr.Bare(msg.(*apis.PredictRequest))
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	for range 3 {
		if err := bare.Run(); err != nil {
			t.Fatal(err)
		}
	}
	// No second load: the one servable the client's call loaded, and its session.
	if len(tr.loaded) != 1 {
		t.Fatalf("%d servables loaded, want the client's one", len(tr.loaded))
	}
	for _, lr := range tr.loaded {
		if lr.s == nil || bare.Session() != lr.s.session {
			t.Fatal("the reference does not run on the client's session")
		}
	}
	// What the client would refuse, the reference refuses too.
	bad := proto.Clone(msg).(*apis.PredictRequest)
	bad.ModelSpec.SignatureName = "no_such_signature"
	if _, err := tr.Bare(bad); status.CodeOf(err) != status.FailedPrecondition {
		t.Fatalf("unknown signature: %v, want FAILED_PRECONDITION", err)
	}
}

// A signature's plan, cached by its first valid request, must answer later
// bad requests as signature.Inputs does on a transport that has none.
func TestPlannedSignatureRefusesBadRequestsAsTheFirstRequestDoes(t *testing.T) {
	m := goldenCases(t)
	fresh, err := New(m.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	planned, err := New(m.ConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer planned.Close()
	call := func(tr *Transport, c *cases.Case) (proto.Message, error) {
		msg, err := c.ParseRequest()
		if err != nil {
			t.Fatal(err)
		}
		return tr.Call(context.Background(), transport.Request{API: c.API, Message: msg})
	}
	if _, err := call(planned, m.Find("v1-test-0000")); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for i := range m.Cases {
		c := &m.Cases[i]
		if c.Error == "" || c.API != cases.Predict || !c.AppliesTo("inproc") {
			continue
		}
		_, want := call(fresh, c)
		_, got := call(planned, c)
		if status.CodeOf(got) != status.CodeOf(want) || status.FromError(got).Message != status.FromError(want).Message {
			t.Errorf("%s: planned %v, fresh %v", c.ID, got, want)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no error case to check")
	}
	// And a valid request still runs after the bad ones.
	if _, err := call(planned, m.Find("v1-test-0001")); err != nil {
		t.Fatal(err)
	}
}
