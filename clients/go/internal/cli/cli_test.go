package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/gen/tensorflow/core/framework"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/results"
)

// caseSet writes a three-case set (predict for all modes, predict for
// inproc only, metadata) and returns its folder.
func caseSet(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "toy")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	predict, _ := proto.Marshal(&apis.PredictRequest{
		ModelSpec: &apis.ModelSpec{Name: "toy"},
		Inputs: map[string]*framework.TensorProto{"x": {Dtype: framework.DataType_DT_FLOAT,
			TensorShape: &framework.TensorShapeProto{Dim: []*framework.TensorShapeProto_Dim{{Size: 3}}}, FloatVal: []float32{1}}},
	})
	meta, _ := proto.Marshal(&apis.GetModelMetadataRequest{ModelSpec: &apis.ModelSpec{Name: "toy"}, MetadataField: []string{"signature_def"}})
	files := map[string][]byte{"a.request.pb": predict, "b.request.pb": predict, "c.request.pb": meta}
	sums := map[string]string{}
	for name, data := range files {
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
		s := sha256.Sum256(data)
		sums[name] = hex.EncodeToString(s[:])
	}
	manifest := map[string]any{
		"format": 1, "model": map[string]any{"name": "toy", "config": "missing.config"},
		"cases": []any{
			map[string]any{"id": "a", "api": "predict", "request": "a.request.pb", "error": "NOT_FOUND", "rest_format": "columnar",
				"sha256": map[string]string{"a.request.pb": sums["a.request.pb"]}},
			map[string]any{"id": "b", "api": "predict", "transports": []string{"inproc"}, "request": "b.request.pb", "error": "NOT_FOUND",
				"sha256": map[string]string{"b.request.pb": sums["b.request.pb"]}},
			map[string]any{"id": "c", "api": "metadata", "request": "c.request.pb", "error": "NOT_FOUND",
				"sha256": map[string]string{"c.request.pb": sums["c.request.pb"]}},
		},
	}
	data, _ := json.Marshal(manifest)
	os.WriteFile(filepath.Join(dir, "manifest.json"), data, 0o644)
	return dir
}

// closedPort is a local address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := lis.Addr().String()
	lis.Close()
	return addr
}

func run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Main(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrorsExitTwo(t *testing.T) {
	dir := caseSet(t)
	for name, args := range map[string][]string{
		"no command":           nil,
		"unknown command":      {"train"},
		"no mode":              {"run", "--cases", dir, "--out", t.TempDir()},
		"unknown mode":         {"run", "--mode", "carrier-pigeon", "--cases", dir, "--out", t.TempDir()},
		"no cases":             {"run", "--mode", "grpc", "--out", t.TempDir()},
		"no out":               {"run", "--mode", "grpc", "--cases", dir},
		"unknown flag":         {"run", "--mode", "grpc", "--cases", dir, "--out", t.TempDir(), "--colour"},
		"bad deadline":         {"run", "--mode", "grpc", "--cases", dir, "--out", t.TempDir(), "--deadline-ms", "0"},
		"bench no case":        {"bench", "--mode", "grpc", "--cases", dir, "--requests", "1"},
		"bench bad case":       {"bench", "--mode", "grpc", "--cases", dir, "--case", "zz", "--requests", "1", "--concurrency", "1"},
		"bench no concurrency": {"bench", "--mode", "grpc", "--cases", dir, "--case", "a", "--requests", "1"},
		"bench no n":           {"bench", "--mode", "grpc", "--cases", dir, "--case", "a"},
		"bad rest url":         {"run", "--mode", "rest", "--rest", "ftp://x", "--cases", dir, "--out", t.TempDir()},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := run(args...)
			if code != 2 || out != "" || errOut == "" {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
		})
	}
}

func TestTamperedCaseSetExitsOneAndWritesNothing(t *testing.T) {
	dir := caseSet(t)
	os.WriteFile(filepath.Join(dir, "c.request.pb"), []byte("tampered"), 0o644)
	out := t.TempDir()
	code, stdout, stderr := run("run", "--mode", "grpc", "--target", closedPort(t), "--cases", dir, "--out", out)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "sha256") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Fatalf("wrote %v", entries)
	}
}

func TestUnreachableServerRecordsUnavailablePerCase(t *testing.T) {
	for _, mode := range []string{"grpc", "rest"} {
		t.Run(mode, func(t *testing.T) {
			dir, out := caseSet(t), t.TempDir()
			addr := closedPort(t)
			code, stdout, stderr := run("run", "--mode", mode, "--target", addr, "--rest", "http://"+addr,
				"--deadline-ms", "2000", "--cases", dir, "--out", out)
			final := filepath.Join(out, "go", mode, "toy")
			if code != 0 || strings.TrimSpace(stdout) != final {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			for _, id := range []string{"a", "c"} {
				var body results.ErrorBody
				data, err := os.ReadFile(filepath.Join(final, id+".error.json"))
				if err != nil || json.Unmarshal(data, &body) != nil || body.Code != "UNAVAILABLE" || body.HTTPStatus != 0 {
					t.Fatalf("%s: %s %v", id, data, err)
				}
			}
			if _, err := os.Stat(filepath.Join(final, "b.skipped.json")); err != nil {
				t.Fatal(err)
			}
			var runJSON runFile
			data, _ := os.ReadFile(filepath.Join(final, "run.json"))
			if err := json.Unmarshal(data, &runJSON); err != nil || runJSON.Client != "go" || runJSON.Mode != mode ||
				runJSON.Cases["a"].Status != "error" || runJSON.Cases["b"].Status != "skipped" || runJSON.Runtime["language"] == "" {
				t.Fatalf("run.json %s", data)
			}
			if entries, _ := os.ReadDir(filepath.Dir(final)); len(entries) != 1 {
				t.Fatalf("staging folders left behind: %v", entries)
			}
		})
	}
}

func TestInprocWithoutAReadableConfigExitsOne(t *testing.T) {
	code, _, stderr := run("run", "--mode", "inproc", "--cases", caseSet(t), "--out", t.TempDir())
	if code != 1 || !strings.Contains(stderr, "model config") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestBenchPrintsOneJSONLine(t *testing.T) {
	code, stdout, stderr := run("bench", "--mode", "grpc", "--target", closedPort(t), "--cases", caseSet(t),
		"--case", "a", "--requests", "5", "--concurrency", "2", "--warmup", "1", "--deadline-ms", "2000")
	if code != 0 || strings.Count(stdout, "\n") != 1 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	var line map[string]any
	if err := json.Unmarshal([]byte(stdout), &line); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"client", "mode", "case", "batch", "requests", "concurrency", "warmup", "p50_us", "p90_us", "p99_us", "mean_us", "rps", "errors"} {
		if _, ok := line[k]; !ok {
			t.Fatalf("bench line lacks %q: %s", k, stdout)
		}
	}
	if line["errors"] != 5.0 || line["batch"] != 3.0 || line["client"] != "go" {
		t.Fatalf("bench line %s", stdout)
	}
	// The reference loads its own runtime from the case set's model config,
	// which does not exist; with failed requests there are no ratios.
	ref, _ := line["reference"].(map[string]any)
	if msg, _ := ref["error"].(string); !strings.Contains(msg, "missing.config") {
		t.Fatalf("reference %v, want the config's error", line["reference"])
	}
	if _, ok := line["overhead_ratio_p50"]; ok {
		t.Fatalf("a ratio beside failed requests: %s", stdout)
	}
}

func TestInprocBenchMeasuresTheBareReferenceBesideTheClient(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "build", "cases", "mnist")
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		t.Skip("build/cases/mnist not exported (make export)")
	}
	code, stdout, stderr := run("bench", "--mode", "inproc", "--cases", dir, "--case", "v1-test-0000",
		"--requests", "40", "--concurrency", "1", "--warmup", "2")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	var line struct {
		Errors    int      `json:"errors"`
		RatioP50  *float64 `json:"overhead_ratio_p50"`
		RatioMean *float64 `json:"overhead_ratio_mean"`
		Reference struct {
			P50us    float64 `json:"p50_us"`
			P99us    float64 `json:"p99_us"`
			MeanUs   float64 `json:"mean_us"`
			RPS      float64 `json:"rps"`
			What     string  `json:"what"`
			Requests int     `json:"requests"`
			Error    string  `json:"error"`
		} `json:"reference"`
	}
	if err := json.Unmarshal([]byte(stdout), &line); err != nil {
		t.Fatal(err)
	}
	ref := line.Reference
	if line.Errors != 0 || ref.Error != "" || ref.P50us <= 0 || ref.P99us < ref.P50us || ref.MeanUs <= 0 || ref.RPS <= 0 ||
		ref.Requests != 40 || !strings.Contains(ref.What, "TF_SessionRun") {
		t.Fatalf("bench line %s", stdout)
	}
	if line.RatioP50 == nil || *line.RatioP50 <= 0 || line.RatioMean == nil || *line.RatioMean <= 0 {
		t.Fatalf("no overhead ratios: %s", stdout)
	}
}

func TestInfoPrintsOneJSONLine(t *testing.T) {
	code, stdout, _ := run("info")
	var info struct {
		Client      string              `json:"client"`
		Language    string              `json:"language"`
		Modes       []string            `json:"modes"`
		APIs        map[string][]string `json:"apis"`
		Unsupported map[string][]string `json:"unsupported_dtypes"`
		Runtime     map[string]string   `json:"runtime"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &info) != nil || info.Client != "go" ||
		!slices.Equal(info.Modes, []string{"inproc", "grpc", "rest", "v2grpc", "v2rest"}) ||
		info.Runtime["tensorflow"] == "" || !strings.HasPrefix(info.Language, "go") {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	for _, mode := range []string{"v2grpc", "v2rest"} {
		if !slices.Equal(info.APIs[mode], []string{"predict"}) || info.Unsupported[mode] == nil || len(info.Unsupported[mode]) != 0 {
			t.Fatalf("%s: apis %v, unsupported_dtypes %v", mode, info.APIs[mode], info.Unsupported[mode])
		}
	}
}

func TestEveryCommandAcceptsVerbose(t *testing.T) {
	if code, stdout, stderr := run("info", "--verbose"); code != 0 || !strings.HasPrefix(stdout, "{") {
		t.Fatalf("info --verbose: exit %d, %q %q", code, stdout, stderr)
	}
	dir := caseSet(t)
	code, _, stderr := run("run", "--verbose", "--mode", "grpc", "--target", closedPort(t), "--deadline-ms", "500",
		"--cases", dir, "--out", t.TempDir())
	if code != 0 {
		t.Fatalf("run --verbose: exit %d, %s", code, stderr)
	}
}

func TestModeListUsageErrorsExitTwoAndWriteNothing(t *testing.T) {
	dir, out := caseSet(t), t.TempDir()
	addr := closedPort(t)
	for name, args := range map[string][]string{
		"empty item":          {"run", "--mode", "inproc,,grpc", "--cases", dir, "--out", out},
		"trailing empty item": {"run", "--mode", "inproc,", "--cases", dir, "--out", out},
		"leading empty item":  {"run", "--mode", ",grpc", "--cases", dir, "--out", out},
		"repeated mode":       {"run", "--mode", "grpc,grpc", "--cases", dir, "--out", out},
		"unknown mode":        {"run", "--mode", "grpc,carrier-pigeon", "--cases", dir, "--out", out},
		"spaced item":         {"run", "--mode", "grpc, rest", "--cases", dir, "--out", out},
		"bad url later":       {"run", "--mode", "grpc,rest", "--target", addr, "--rest", "ftp://x", "--cases", dir, "--out", out},
		"list to bench":       {"bench", "--mode", "grpc,rest", "--cases", dir, "--case", "a", "--requests", "1", "--concurrency", "1"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := run(args...)
			if code != 2 || stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "usage error") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Fatalf("wrote %v", entries)
			}
		})
	}
}

func TestTwoModesInOneProcessWriteBothFoldersInOrder(t *testing.T) {
	dir, out := caseSet(t), t.TempDir()
	addr := closedPort(t)
	code, stdout, stderr := run("run", "--mode", "rest,grpc", "--target", addr, "--rest", "http://"+addr,
		"--deadline-ms", "2000", "--cases", dir, "--out", out)
	want := []string{filepath.Join(out, "go", "rest", "toy"), filepath.Join(out, "go", "grpc", "toy")}
	if code != 0 || !slices.Equal(strings.Split(strings.TrimSpace(stdout), "\n"), want) {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	for i, mode := range []string{"rest", "grpc"} {
		var runJSON runFile
		data, _ := os.ReadFile(filepath.Join(want[i], "run.json"))
		if err := json.Unmarshal(data, &runJSON); err != nil || runJSON.Mode != mode || len(runJSON.Cases) != 3 ||
			runJSON.Cases["a"].Status != "error" || runJSON.Cases["b"].Status != "skipped" {
			t.Fatalf("%s run.json %s", mode, data)
		}
		var body results.ErrorBody
		data, _ = os.ReadFile(filepath.Join(want[i], "a.error.json"))
		if json.Unmarshal(data, &body) != nil || body.Code != "UNAVAILABLE" {
			t.Fatalf("%s: a.error.json %s", mode, data)
		}
	}
}

func TestAModeThatCannotRunStopsTheLaterModesAndKeepsTheEarlier(t *testing.T) {
	dir, out := caseSet(t), t.TempDir()
	addr := closedPort(t)
	// The case set names a model config that does not exist: inproc exits 1.
	code, stdout, stderr := run("run", "--mode", "grpc,inproc,rest", "--target", addr, "--rest", "http://"+addr,
		"--deadline-ms", "2000", "--cases", dir, "--out", out)
	grpcDir := filepath.Join(out, "go", "grpc", "toy")
	if code != 1 || strings.TrimSpace(stdout) != grpcDir || !strings.Contains(stderr, "model config") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(grpcDir, "run.json")); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"inproc", "rest"} {
		if _, err := os.Stat(filepath.Join(out, "go", mode)); !os.IsNotExist(err) {
			t.Fatalf("%s: %v", mode, err)
		}
	}
}
