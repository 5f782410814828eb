package modelconfig

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/status"
)

// fixture lays out models/a/{1,2,3} and models/b/{1,2} (b/2 without a
// SavedModel) and a config naming them with relative base paths.
func fixture(t *testing.T) *Config {
	t.Helper()
	root := t.TempDir()
	for _, v := range []string{"a/1", "a/2", "a/3", "b/1", "c/5", "c/7"} {
		dir := filepath.Join(root, "models", v)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "saved_model.pb"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "models", "b", "2"), 0o755) // no SavedModel: not a version
	os.MkdirAll(filepath.Join(root, "models", "b", "tmp"), 0o755)
	text := `model_config_list {
  config { name: "a" base_path: "models/a" model_platform: "tensorflow"
           model_version_policy { all {} }
           version_labels { key: "stable" value: 1 } version_labels { key: "gone" value: 9 } }
  config { name: "b" base_path: "models/b" }
  config { name: "c" base_path: "models/c" model_version_policy { specific { versions: 5 } } }
}`
	path := filepath.Join(root, "models.config")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func spec(name string, version any) *apis.ModelSpec {
	s := &apis.ModelSpec{Name: name}
	switch v := version.(type) {
	case int:
		s.VersionChoice = &apis.ModelSpec_Version{Version: wrapperspb.Int64(int64(v))}
	case string:
		s.VersionChoice = &apis.ModelSpec_VersionLabel{VersionLabel: v}
	}
	return s
}

func TestResolveFollowsServerCore(t *testing.T) {
	cfg := fixture(t)
	tests := []struct {
		name    string
		spec    *apis.ModelSpec
		code    status.Code
		version int64
	}{
		{"no version is the highest served", spec("a", nil), status.OK, 3},
		{"explicit version", spec("a", 2), status.OK, 2},
		{"label", spec("a", "stable"), status.OK, 1},
		{"label of an absent version", spec("a", "gone"), status.NotFound, 0},
		{"unknown label", spec("a", "canary"), status.InvalidArgument, 0},
		{"label of an unknown model", spec("zz", "stable"), status.InvalidArgument, 0},
		{"empty name", spec("", nil), status.InvalidArgument, 0},
		{"unknown model", spec("zz", nil), status.NotFound, 0},
		{"unknown version", spec("a", 4), status.NotFound, 0},
		{"folder without a SavedModel is no version", spec("b", 2), status.NotFound, 0},
		{"default policy serves only the latest", spec("b", nil), status.OK, 1},
		{"specific policy", spec("c", nil), status.OK, 5},
		{"version outside the specific policy", spec("c", 7), status.NotFound, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := cfg.Resolve(tc.spec)
			if got := status.CodeOf(err); got != tc.code {
				t.Fatalf("code %s (%v), want %s", got, err, tc.code)
			}
			if err == nil && (r.Version != tc.version || filepath.Base(r.Path) != strconv.FormatInt(tc.version, 10)) {
				t.Fatalf("resolved %+v, want version %d", r, tc.version)
			}
			if err == nil && !filepath.IsAbs(r.Path) {
				t.Fatalf("relative base path not resolved: %s", r.Path)
			}
		})
	}
}

func TestParseRejectsBadConfigs(t *testing.T) {
	for name, text := range map[string]string{
		"syntax":        "model_config_list { config { name: ",
		"no base path":  `model_config_list { config { name: "a" } }`,
		"no name":       `model_config_list { config { base_path: "/x" } }`,
		"other runtime": `model_config_list { config { name: "a" base_path: "/x" model_platform: "onnx" } }`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(text), "/tmp/x.config"); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
