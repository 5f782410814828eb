package cases

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
)

// writeCaseSet writes a two-case set and returns its folder; edit may change
// the manifest before it is written.
func writeCaseSet(t *testing.T, edit func(m map[string]any)) string {
	t.Helper()
	dir := t.TempDir()
	req, err := proto.Marshal(&apis.PredictRequest{ModelSpec: &apis.ModelSpec{Name: "m"}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := proto.Marshal(&apis.PredictResponse{})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"ok.request.pb": req, "ok.response.pb": resp, "bad.request.pb": req}
	sums := map[string]string{}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(data)
		sums[name] = hex.EncodeToString(s[:])
	}
	m := map[string]any{
		"format": 1,
		"model":  map[string]any{"name": "m", "config": "../models.config"},
		"cases": []any{
			map[string]any{"id": "ok", "api": "predict", "transports": []string{"inproc", "grpc"},
				"request": "ok.request.pb", "response": "ok.response.pb", "rest_format": "row",
				"sha256": map[string]string{"ok.request.pb": sums["ok.request.pb"], "ok.response.pb": sums["ok.response.pb"]}},
			map[string]any{"id": "bad", "api": "predict", "request": "bad.request.pb", "error": "NOT_FOUND",
				"sha256": map[string]string{"bad.request.pb": sums["bad.request.pb"]}},
		},
	}
	if edit != nil {
		edit(m)
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func caseEntry(m map[string]any, i int) map[string]any {
	return m["cases"].([]any)[i].(map[string]any)
}

func TestReadVerifiesAndLoadsACaseSet(t *testing.T) {
	dir := writeCaseSet(t, nil)
	m, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Model != "m" || len(m.Cases) != 2 || m.ConfigPath != filepath.Join(filepath.Dir(dir), "models.config") {
		t.Fatalf("unexpected manifest %+v", m)
	}
	ok := m.Find("ok")
	if !ok.AppliesTo("grpc") || ok.AppliesTo("rest") || ok.RestFormat != "row" {
		t.Fatalf("case ok: %+v", ok)
	}
	if bad := m.Find("bad"); !bad.AppliesTo("rest") || bad.Error != "NOT_FOUND" {
		t.Fatalf("a case without transports applies to all: %+v", bad)
	}
	msg, err := ok.ParseRequest()
	if err != nil || msg.(*apis.PredictRequest).GetModelSpec().GetName() != "m" {
		t.Fatalf("ParseRequest: %v %v", msg, err)
	}
}

func TestReadRejectsBrokenCaseSets(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(m map[string]any)
		breakFS func(dir string)
		want    string
	}{
		{name: "sha256 mismatch", breakFS: func(dir string) {
			os.WriteFile(filepath.Join(dir, "ok.response.pb"), []byte("tampered"), 0o644)
		}, want: "sha256"},
		{name: "missing file", breakFS: func(dir string) { os.Remove(filepath.Join(dir, "bad.request.pb")) }, want: "bad.request.pb"},
		{name: "no sha256 for a file", edit: func(m map[string]any) { caseEntry(m, 1)["sha256"] = map[string]string{} }, want: "no sha256"},
		{name: "file outside the folder", edit: func(m map[string]any) { caseEntry(m, 1)["request"] = "../x.pb" }, want: "leaves the case folder"},
		{name: "both response and error", edit: func(m map[string]any) { caseEntry(m, 0)["error"] = "INTERNAL" }, want: "exactly one"},
		{name: "unknown api", edit: func(m map[string]any) { caseEntry(m, 0)["api"] = "train" }, want: "unknown api"},
		{name: "duplicate id", edit: func(m map[string]any) { caseEntry(m, 1)["id"] = "ok" }, want: "twice"},
		{name: "wrong format", edit: func(m map[string]any) { m["format"] = 2 }, want: "format"},
		{name: "empty op library", edit: func(m map[string]any) {
			m["model"].(map[string]any)["op_libraries"] = []string{"libfoo.so", ""}
		}, want: "model.op_libraries[1] is empty"},
		{name: "op libraries not a list", edit: func(m map[string]any) {
			m["model"].(map[string]any)["op_libraries"] = "libfoo.so"
		}, want: "not a valid manifest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeCaseSet(t, tc.edit)
			if tc.breakFS != nil {
				tc.breakFS(dir)
			}
			_, err := Read(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestOpLibrariesResolveAgainstTheCaseFolder(t *testing.T) {
	for name, tc := range map[string]struct {
		libraries any
		want      func(dir string) []string
	}{
		"absent": {nil, func(string) []string { return nil }},
		"relative and absolute, in order": {
			[]string{"../../ops/libtfi_ops.so", "/opt/ops/libother.so", "libhere.so"},
			func(dir string) []string {
				return []string{filepath.Join(filepath.Dir(filepath.Dir(dir)), "ops", "libtfi_ops.so"), "/opt/ops/libother.so", filepath.Join(dir, "libhere.so")}
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeCaseSet(t, func(m map[string]any) {
				if tc.libraries != nil {
					m["model"].(map[string]any)["op_libraries"] = tc.libraries
				}
			})
			m, err := Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			// A library that does not exist is not the manifest's fault: it
			// becomes each inproc case's result when it fails to load.
			if want := tc.want(m.Dir); !slices.Equal(m.OpLibraries, want) {
				t.Fatalf("OpLibraries %q, want %q", m.OpLibraries, want)
			}
		})
	}
}

func TestReadReportsAMissingManifest(t *testing.T) {
	if _, err := Read(t.TempDir()); err == nil || !strings.Contains(err.Error(), "manifest.json") {
		t.Fatalf("got %v", err)
	}
}

func TestReadIgnoresFieldsItDoesNotKnow(t *testing.T) {
	dir := writeCaseSet(t, func(m map[string]any) {
		m["generated_by"] = "a newer exporter"
		cs := m["cases"].([]any)
		// transport_errors: TF Serving's answer on one transport when it differs.
		cs[0].(map[string]any)["transport_errors"] = map[string]string{"grpc": "UNIMPLEMENTED"}
		cs[1].(map[string]any)["argmax_outputs"] = []string{"output_0"}
		cs[1].(map[string]any)["future_field"] = map[string]any{"nested": []int{1, 2}}
	})
	m, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	ok := m.Find("ok")
	if len(m.Cases) != 2 || ok == nil || ok.Response != "ok.response.pb" || !ok.AppliesTo("grpc") || ok.Error != "" {
		t.Fatalf("cases read as %+v", m.Cases)
	}
}
