package modelconfig

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/status"
)

// fixture lays out models/a/{1,2,3}, models/b/{1,2} (b/2 without a SavedModel,
// which is still a version: TF Serving leaves that to the loader),
// models/c/{5,7} and a config naming them with relative base paths.
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
	os.MkdirAll(filepath.Join(root, "models", "b", "2"), 0o755) // no SavedModel: a version all the same
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
		{"folder without a SavedModel is a version", spec("b", 2), status.OK, 2},
		{"default policy serves only the latest", spec("b", nil), status.OK, 2},
		{"default policy does not serve older versions", spec("b", 1), status.NotFound, 0},
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

// layout makes one entry (file or folder) per name under a fresh base folder.
func layout(t *testing.T, names ...string) string {
	t.Helper()
	base := t.TempDir()
	for _, n := range names {
		if err := os.Mkdir(filepath.Join(base, n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

func TestVersionFoldersFollowTFServingsRule(t *testing.T) {
	tests := []struct {
		name     string
		children []string
		want     map[int64]string // version -> folder name
	}{
		{"plain numbers", []string{"1", "2", "10"}, map[int64]string{1: "1", 2: "2", 10: "10"}},
		{"zero-padded name is its number", []string{"00000123"}, map[int64]string{123: "00000123"}},
		{"zero is a version", []string{"0", "000"}, map[int64]string{0: "000"}},
		{"last name in byte order wins", []string{"123", "0123", "00123"}, map[int64]string{123: "123"}},
		{"non-numeric names are ignored", []string{"v1", "1a", "tmp", "1.5", "+1", "0x1f", "\u0661"}, map[int64]string{}},
		{"negative is ignored", []string{"-1", "-0"}, map[int64]string{}},
		{"spaces are ignored", []string{" 12", "12 ", "1 2"}, map[int64]string{}},
		{"int64 max is a version", []string{"9223372036854775807"}, map[int64]string{math.MaxInt64: "9223372036854775807"}},
		{"overflow is ignored", []string{"9223372036854775808", "99999999999999999999"}, map[int64]string{}},
		{"padding does not overflow", []string{"000000000000000000000000000007"}, map[int64]string{7: "000000000000000000000000000007"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := layout(t, tc.children...)
			got := VersionFolders(base)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for v, name := range tc.want {
				if got[v] != filepath.Join(base, name) {
					t.Fatalf("version %d: got %q, want %q", v, got[v], filepath.Join(base, name))
				}
			}
		})
	}
}

func TestVersionFoldersCountFilesAndEmptyFolders(t *testing.T) {
	base := layout(t, "1")
	if err := os.WriteFile(filepath.Join(base, "2"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := VersionFolders(base); len(got) != 2 {
		t.Fatalf("got %v, want versions 1 and 2 (TF Serving lists children, the loader judges them)", got)
	}
	if got := VersionFolders(filepath.Join(base, "absent")); len(got) != 0 {
		t.Fatalf("missing base: %v", got)
	}
}

func TestResolveKeepsTheFolderName(t *testing.T) {
	root := t.TempDir()
	for _, v := range []string{"00000001", "0002", "2", "00000123", "v9"} {
		os.MkdirAll(filepath.Join(root, "m", v), 0o755)
	}
	text := `model_config_list {
  config { name: "all" base_path: "m" model_version_policy { all {} } version_labels { key: "stable" value: 1 } }
  config { name: "latest2" base_path: "m" model_version_policy { latest { num_versions: 2 } } }
  config { name: "specific" base_path: "m" model_version_policy { specific { versions: 2 versions: 9 } } }
}`
	cfg, err := Parse([]byte(text), filepath.Join(root, "models.config"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		spec    *apis.ModelSpec
		code    status.Code
		version int64
		folder  string
	}{
		{spec("all", nil), status.OK, 123, "00000123"},
		{spec("all", 1), status.OK, 1, "00000001"},
		{spec("all", "stable"), status.OK, 1, "00000001"},
		{spec("all", 2), status.OK, 2, "2"}, // "2" sorts after "0002"
		{spec("all", 9), status.NotFound, 0, ""},
		{spec("latest2", nil), status.OK, 123, "00000123"},
		{spec("latest2", 2), status.OK, 2, "2"},
		{spec("latest2", 1), status.NotFound, 0, ""},
		{spec("specific", nil), status.OK, 2, "2"},
		{spec("specific", 123), status.NotFound, 0, ""},
	}
	for _, tc := range tests {
		r, err := cfg.Resolve(tc.spec)
		if got := status.CodeOf(err); got != tc.code {
			t.Fatalf("%v: code %s (%v), want %s", tc.spec, got, err, tc.code)
		}
		if err != nil {
			continue
		}
		if r.Version != tc.version || r.Path != filepath.Join(root, "m", tc.folder) {
			t.Fatalf("%v: resolved %+v, want version %d in %s", tc.spec, r, tc.version, tc.folder)
		}
	}
}

func TestVersionFoldersAreReadOnceWhenTheConfigIsParsed(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "m", "1"), 0o755)
	cfg, err := Parse([]byte(`model_config_list { config { name: "m" base_path: "m" } }`), filepath.Join(root, "models.config"))
	if err != nil {
		t.Fatal(err)
	}
	// A version that appears later is not seen: the client does not poll.
	os.MkdirAll(filepath.Join(root, "m", "2"), 0o755)
	r, err := cfg.Resolve(spec("m", nil))
	if err != nil || r.Version != 1 {
		t.Fatalf("resolved %+v, %v; want version 1", r, err)
	}
	if got := cfg.Entries[0].ServedVersions(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("served %v", got)
	}
}
