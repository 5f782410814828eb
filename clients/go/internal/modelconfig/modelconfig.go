// Package modelconfig reads TF Serving's text-format ModelServerConfig and
// resolves a ModelSpec to one version folder on disk, as ServerCore does:
// empty name and unknown label INVALID_ARGUMENT, unknown model or version
// NOT_FOUND, no version the highest served one.
package modelconfig

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/prototext"

	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/apis"
	"tfinterop.dev/clients/go/internal/gen/tensorflow_serving/config"
	"tfinterop.dev/clients/go/internal/status"
)

// Policy is a model's version policy.
type Policy int

// Version policies of FileSystemStoragePathSourceConfig.ServableVersionPolicy.
const (
	Latest Policy = iota
	All
	Specific
)

// Entry is one model of the config, its base path made absolute.
type Entry struct {
	Name     string
	BasePath string
	Policy   Policy
	LatestN  int
	Versions []int64 // for Specific
	Labels   map[string]int64
	// folders are the version folders under BasePath, read once when the
	// config is parsed (TF Serving's first file-system poll; a client run
	// does not poll again, and the C++ client reads them once too), and
	// servedVersions those the policy keeps, ascending.
	folders        map[int64]string
	servedVersions []int64
}

// Resolved is a ModelSpec resolved to one version folder.
type Resolved struct {
	Name    string
	Version int64
	Path    string
}

// Config is a parsed model config.
type Config struct {
	Path    string
	Entries []Entry
}

// Load parses the config at path; relative base paths resolve against the
// config file's folder. The error names the file and the problem.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read model config: %w", err)
	}
	return Parse(data, path)
}

// Parse parses config text; source names it in errors and anchors relative paths.
func Parse(data []byte, source string) (*Config, error) {
	var msc config.ModelServerConfig
	if err := prototext.Unmarshal(data, &msc); err != nil {
		return nil, fmt.Errorf("model config %s does not parse: %w", source, err)
	}
	if msc.GetCustomModelConfig() != nil {
		return nil, fmt.Errorf("model config %s: custom_model_config is not supported", source)
	}
	dir := filepath.Dir(source)
	cfg := &Config{Path: source}
	for _, mc := range msc.GetModelConfigList().GetConfig() {
		e, err := entryOf(mc, dir, source)
		if err != nil {
			return nil, err
		}
		cfg.Entries = append(cfg.Entries, e)
	}
	return cfg, nil
}

func entryOf(mc *config.ModelConfig, dir, source string) (Entry, error) {
	if mc.GetName() == "" {
		return Entry{}, fmt.Errorf("model config %s: a model has no name", source)
	}
	if mc.GetBasePath() == "" {
		return Entry{}, fmt.Errorf("model config %s: model %q has no base_path", source, mc.GetName())
	}
	if p := mc.GetModelPlatform(); p != "" && p != "tensorflow" {
		return Entry{}, fmt.Errorf("model config %s: model %q has platform %q; only tensorflow is served", source, mc.GetName(), p)
	}
	base := mc.GetBasePath()
	if !filepath.IsAbs(base) {
		base = filepath.Join(dir, base)
	}
	e := Entry{Name: mc.GetName(), BasePath: base, Policy: Latest, LatestN: 1, Labels: mc.GetVersionLabels(), folders: VersionFolders(base)}
	vp := mc.GetModelVersionPolicy()
	switch {
	case vp.GetAll() != nil:
		e.Policy = All
	case vp.GetSpecific() != nil:
		e.Policy = Specific
		e.Versions = vp.GetSpecific().GetVersions()
	case vp.GetLatest() != nil && vp.GetLatest().GetNumVersions() > 0:
		e.LatestN = int(vp.GetLatest().GetNumVersions())
	}
	e.servedVersions = e.served(e.VersionsOnDisk())
	return e, nil
}

// VersionFolders maps each version under base to its folder, as TF Serving's
// file_system_storage_path_source.cc finds them: a child whose whole name is
// ASCII decimal digits with a value that fits int64 is that version and keeps
// its own name ("00000123" is version 123, loaded from base/00000123); other
// names are ignored. Names are walked in byte order and the last of two names
// giving one number wins ("123" over "0123"), as IndexChildrenByVersion does.
// Whether the folder holds a SavedModel is the loader's business, as in TF
// Serving. A missing or unreadable base has no versions.
func VersionFolders(base string) map[int64]string {
	children, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	names := make([]string, len(children))
	for i, c := range children {
		names[i] = c.Name()
	}
	slices.Sort(names)
	found := map[int64]string{}
	for _, name := range names {
		if v, ok := versionNumber(name); ok {
			found[v] = filepath.Join(base, name)
		}
	}
	return found
}

// versionNumber parses a version folder name: digits only (no sign, no
// spaces), at most int64's maximum.
func versionNumber(name string) (int64, bool) {
	if name == "" || strings.TrimLeft(name, "0123456789") != "" {
		return 0, false
	}
	v, err := strconv.ParseInt(name, 10, 64)
	return v, err == nil
}

// VersionsOnDisk are the version numbers TF Serving found under the base
// path when the config was parsed, ascending.
func (e *Entry) VersionsOnDisk() []int64 {
	return slices.Sorted(maps.Keys(e.folders))
}

// ServedVersions are the versions the version policy keeps loaded, ascending.
func (e *Entry) ServedVersions() []int64 {
	return slices.Clone(e.servedVersions)
}

// served applies the version policy to the ascending versions onDisk.
func (e *Entry) served(onDisk []int64) []int64 {
	switch e.Policy {
	case All:
		return onDisk
	case Specific:
		return slices.DeleteFunc(onDisk, func(v int64) bool { return !slices.Contains(e.Versions, v) })
	}
	if len(onDisk) > e.LatestN {
		return onDisk[len(onDisk)-e.LatestN:]
	}
	return onDisk
}

// Resolve maps spec to a served version folder, or a canonical error.
func (c *Config) Resolve(spec *apis.ModelSpec) (Resolved, error) {
	if spec.GetName() == "" {
		return Resolved{}, status.Errorf(status.InvalidArgument, "Missing model name in request.")
	}
	var entry *Entry
	for i := range c.Entries {
		if c.Entries[i].Name == spec.GetName() {
			entry = &c.Entries[i]
			break
		}
	}
	var wanted *int64
	switch choice := spec.GetVersionChoice().(type) {
	case *apis.ModelSpec_VersionLabel:
		v, ok := int64(0), false
		if entry != nil {
			v, ok = entry.Labels[choice.VersionLabel]
		}
		if !ok {
			return Resolved{}, status.Errorf(status.InvalidArgument, "Unrecognized servable version label: %s", choice.VersionLabel)
		}
		wanted = &v
	case *apis.ModelSpec_Version:
		v := choice.Version.GetValue()
		wanted = &v
	}
	if entry == nil {
		return Resolved{}, notFound(spec.GetName(), wanted)
	}
	served := entry.servedVersions
	var version int64
	switch {
	case wanted == nil && len(served) > 0:
		version = served[len(served)-1]
	case wanted != nil && slices.Contains(served, *wanted):
		version = *wanted
	default:
		return Resolved{}, notFound(spec.GetName(), wanted)
	}
	return Resolved{Name: entry.Name, Version: version, Path: entry.folders[version]}, nil
}

func notFound(name string, version *int64) error {
	if version == nil {
		return status.Errorf(status.NotFound, "Servable not found for request: Latest(%s)", name)
	}
	return status.Errorf(status.NotFound, "Servable not found for request: Specific(%s, %d)", name, *version)
}
