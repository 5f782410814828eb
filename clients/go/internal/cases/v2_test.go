package cases

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/gen/inference"
)

// writeV2CaseSet is writeCaseSet with a v2 form on case "ok" (transports
// inproc, grpc, v2rest); edit may change that v2 entry.
func writeV2CaseSet(t *testing.T, edit func(v2 map[string]any)) string {
	t.Helper()
	req, err := proto.Marshal(&inference.ModelInferRequest{ModelName: "m", ModelVersion: "1"})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(req)
	dir := writeCaseSet(t, func(m map[string]any) {
		ok := caseEntry(m, 0)
		ok["transports"] = []string{"inproc", "grpc", V2REST}
		v2 := map[string]any{"request": "ok.v2.request.pb", "error": "NOT_FOUND", "errors": map[string]string{V2REST: "NOT_FOUND"}}
		if edit != nil {
			edit(v2)
		}
		ok["v2"] = v2
		ok["sha256"].(map[string]string)["ok.v2.request.pb"] = hex.EncodeToString(sum[:])
	})
	if err := os.WriteFile(filepath.Join(dir, "ok.v2.request.pb"), req, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestV2FormIsVerifiedAndSentInV2ModesOnly(t *testing.T) {
	m, err := Read(writeV2CaseSet(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	ok, bad := m.Find("ok"), m.Find("bad")
	if !ok.AppliesTo(V2REST) || ok.AppliesTo(V2GRPC) || ok.V2.Error != "NOT_FOUND" {
		t.Fatalf("case ok: %+v", ok.V2)
	}
	// bad has no v2 form, and a case without transports lists no v2 mode.
	if bad.AppliesTo(V2REST) || bad.AppliesTo(V2GRPC) {
		t.Fatalf("case bad applies to v2: %+v", bad)
	}
	msg, err := ok.RequestFor(V2REST)
	if r, isV2 := msg.(*inference.ModelInferRequest); err != nil || !isV2 || r.GetModelName() != "m" || r.GetModelVersion() != "1" {
		t.Fatalf("RequestFor(v2rest): %v %v", msg, err)
	}
	if msg, err := ok.RequestFor("grpc"); err != nil || msg.ProtoReflect().Descriptor().FullName() != "tensorflow.serving.PredictRequest" {
		t.Fatalf("RequestFor(grpc): %v %v", msg, err)
	}
	if _, err := bad.RequestFor(V2GRPC); err == nil {
		t.Fatal("a case without a v2 form made a v2 request")
	}
}

func TestReadRejectsBrokenV2Forms(t *testing.T) {
	for name, tc := range map[string]struct {
		edit    func(v2 map[string]any)
		breakFS func(dir string)
		want    string
	}{
		"tampered v2 request": {breakFS: func(dir string) { os.WriteFile(filepath.Join(dir, "ok.v2.request.pb"), []byte("x"), 0o644) }, want: "sha256"},
		"no v2 request":       {edit: func(v2 map[string]any) { delete(v2, "request") }, want: "v2 names no request"},
		"v2 response and error": {edit: func(v2 map[string]any) { v2["response"] = "ok.v2.response.pb" },
			want: "both a response and an error"},
		"v2 response without sha256": {edit: func(v2 map[string]any) { delete(v2, "error"); v2["response"] = "ok.v2.response.pb" },
			want: "no sha256 for ok.v2.response.pb"},
		"v2 file outside the folder": {edit: func(v2 map[string]any) { v2["request"] = "../ok.v2.request.pb" }, want: "leaves the case folder"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeV2CaseSet(t, tc.edit)
			if tc.breakFS != nil {
				tc.breakFS(dir)
			}
			if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
