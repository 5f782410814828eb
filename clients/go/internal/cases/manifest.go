// Package cases reads a case set (docs/CONTRACT.md): manifest.json plus the
// binary request and response files it names, each verified against its
// sha256 before anything runs.
package cases

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Format is the manifest format this client reads.
const Format = 1

// Transports are the modes of a case whose manifest entry lists none.
var Transports = []string{"inproc", "grpc", "rest"}

// The Open Inference Protocol modes: they send a case's v2 form.
const (
	V2GRPC = "v2grpc"
	V2REST = "v2rest"
)

// IsV2 reports whether mode sends v2 requests.
func IsV2(mode string) bool {
	return mode == V2GRPC || mode == V2REST
}

// Manifest is one verified case folder.
type Manifest struct {
	Dir        string
	Model      string
	ConfigPath string // absolute path of the model config the manifest names
	// OpLibraries are the absolute paths of model.op_libraries: custom-op
	// libraries to load before the model, in order. They are not checked
	// here: a library that fails to load is each inproc case's result.
	OpLibraries []string
	Producer    map[string]string
	Cases       []Case
}

// Case is one golden case with its request bytes already verified and loaded.
type Case struct {
	ID          string             `json:"id"`
	API         string             `json:"api"`
	Description string             `json:"description"`
	Transports  []string           `json:"transports"`
	Request     string             `json:"request"`
	Response    string             `json:"response"`
	Error       string             `json:"error"`
	RestFormat  string             `json:"rest_format"`
	Tolerance   map[string]float64 `json:"tolerance"`
	SHA256      map[string]string  `json:"sha256"`
	// V2 is the case's Open Inference Protocol form, nil when it has none.
	V2 *V2Form `json:"v2"`

	RequestBytes []byte `json:"-"`
}

// V2Form is a case's "v2" entry: an inference.ModelInferRequest and the
// expected ModelInferResponse, or the expected code (error, and errors per
// mode where they differ). Only the judge reads the expectations.
type V2Form struct {
	Request  string            `json:"request"`
	Response string            `json:"response"`
	Error    string            `json:"error"`
	Errors   map[string]string `json:"errors"`

	RequestBytes []byte `json:"-"`
}

// AppliesTo reports whether the case runs in mode: the mode is among its
// transports, and for v2 modes the case has a v2 form.
func (c *Case) AppliesTo(mode string) bool {
	return slices.Contains(c.Transports, mode) && (!IsV2(mode) || c.V2 != nil)
}

// Find returns the case with id, or nil.
func (m *Manifest) Find(id string) *Case {
	for i := range m.Cases {
		if m.Cases[i].ID == id {
			return &m.Cases[i]
		}
	}
	return nil
}

type manifestFile struct {
	Format *int `json:"format"`
	Model  struct {
		Name        string   `json:"name"`
		Config      string   `json:"config"`
		OpLibraries []string `json:"op_libraries"`
	} `json:"model"`
	Producer map[string]any `json:"producer"`
	Cases    []Case         `json:"cases"`
}

// Read loads dir/manifest.json and verifies every file each case names
// (present, sha256 as recorded). Any problem is an error naming the file and
// the case: the caller must not run or write anything then.
func Read(dir string) (*Manifest, error) {
	path := filepath.Join(dir, "manifest.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read case set: %w", err)
	}
	var mf manifestFile
	if err := json.Unmarshal(data, &mf); err != nil {
		return nil, fmt.Errorf("%s is not a valid manifest: %w", path, err)
	}
	if mf.Format == nil || *mf.Format != Format {
		return nil, fmt.Errorf("%s: unsupported manifest format (want %d)", path, Format)
	}
	if mf.Model.Name == "" {
		return nil, fmt.Errorf("%s: model.name is missing", path)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	m := &Manifest{Dir: abs, Model: mf.Model.Name, Producer: map[string]string{}}
	if mf.Model.Config != "" {
		m.ConfigPath = filepath.Join(abs, mf.Model.Config)
	}
	for i, lib := range mf.Model.OpLibraries {
		if lib == "" {
			return nil, fmt.Errorf("%s: model.op_libraries[%d] is empty", path, i)
		}
		if !filepath.IsAbs(lib) {
			lib = filepath.Join(abs, lib)
		}
		m.OpLibraries = append(m.OpLibraries, filepath.Clean(lib))
	}
	for k, v := range mf.Producer {
		m.Producer[k] = fmt.Sprint(v)
	}
	seen := map[string]bool{}
	for i := range mf.Cases {
		c := &mf.Cases[i]
		if err := checkCase(c, i, seen); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if c.Transports == nil {
			c.Transports = Transports
		}
		if c.RequestBytes, err = readVerified(abs, c, c.Request); err != nil {
			return nil, err
		}
		if c.Response != "" {
			if _, err := readVerified(abs, c, c.Response); err != nil {
				return nil, err
			}
		}
		if v2 := c.V2; v2 != nil {
			if v2.RequestBytes, err = readVerified(abs, c, v2.Request); err != nil {
				return nil, err
			}
			if v2.Response != "" {
				if _, err := readVerified(abs, c, v2.Response); err != nil {
					return nil, err
				}
			}
		}
	}
	m.Cases = mf.Cases
	return m, nil
}

func checkCase(c *Case, index int, seen map[string]bool) error {
	switch {
	case c.ID == "":
		return fmt.Errorf("case #%d has no id", index)
	case seen[c.ID]:
		return fmt.Errorf("case id %q appears twice", c.ID)
	case c.Request == "":
		return fmt.Errorf("case %s names no request file", c.ID)
	case (c.Response == "") == (c.Error == ""):
		return fmt.Errorf("case %s must name exactly one of response and error", c.ID)
	}
	if _, err := NewRequest(c.API); err != nil {
		return fmt.Errorf("case %s: %w", c.ID, err)
	}
	if v2 := c.V2; v2 != nil {
		switch {
		case v2.Request == "":
			return fmt.Errorf("case %s: v2 names no request file", c.ID)
		case v2.Response != "" && v2.Error != "":
			return fmt.Errorf("case %s: v2 names both a response and an error", c.ID)
		}
	}
	seen[c.ID] = true
	return nil
}

// readVerified reads a file of case c and checks it against the manifest's
// sha256; names must stay inside the case folder.
func readVerified(dir string, c *Case, name string) ([]byte, error) {
	if !filepath.IsLocal(name) {
		return nil, fmt.Errorf("case %s: file name %q leaves the case folder", c.ID, name)
	}
	want, ok := c.SHA256[name]
	if !ok {
		return nil, fmt.Errorf("case %s: manifest has no sha256 for %s", c.ID, name)
	}
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("case %s: %w", c.ID, err)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != want {
		return nil, fmt.Errorf("case %s: %s has sha256 %.12s…, the manifest says %.12s…", c.ID, path, got, want)
	}
	return data, nil
}
