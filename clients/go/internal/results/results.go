// Package results writes one result folder (OUT/<client>/<mode>/<model>/):
// a file per case and run.json, staged under a temporary name and renamed
// into place when complete, so an interrupted run never leaves half a set.
package results

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"

	"tfinterop.dev/clients/go/internal/canonical"
	"tfinterop.dev/clients/go/internal/status"
)

// Writer stages the files of one result folder.
type Writer struct {
	final string
	tmp   string
}

// Create starts a staged folder for root/client/mode/model, removing stale
// staging folders of interrupted runs.
func Create(root, client, mode, model string) (*Writer, error) {
	final := filepath.Join(root, client, mode, model)
	parent := filepath.Dir(final)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create result folder: %w", err)
	}
	stale, _ := filepath.Glob(filepath.Join(parent, "."+model+".tmp-*"))
	for _, s := range stale {
		_ = os.RemoveAll(s)
	}
	tmp, err := os.MkdirTemp(parent, "."+model+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("cannot create result folder: %w", err)
	}
	return &Writer{final: final, tmp: tmp}, nil
}

// Dir is the folder the results will have once committed.
func (w *Writer) Dir() string { return w.final }

// Response writes <id>.response.pb in canonical field and map-key order, as
// the golden files are written.
func (w *Writer) Response(id string, msg proto.Message) error {
	return w.write(id+".response.pb", canonical.Marshal(msg))
}

// ErrorBody is the content of <id>.error.json.
type ErrorBody struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	HTTPStatus int    `json:"http_status,omitempty"`
}

// Error writes <id>.error.json; http_status only for errors that came over REST.
func (w *Writer) Error(id string, e *status.Error) error {
	return w.JSON(id+".error.json", ErrorBody{Code: e.Code.String(), Message: e.Message, HTTPStatus: e.HTTPStatus})
}

// Skipped writes <id>.skipped.json.
func (w *Writer) Skipped(id, reason string) error {
	return w.JSON(id+".skipped.json", map[string]string{"reason": reason})
}

// JSON writes name as indented JSON with a trailing newline.
func (w *Writer) JSON(name string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return w.write(name, append(data, '\n'))
}

func (w *Writer) write(name string, data []byte) error {
	if strings.ContainsRune(name, filepath.Separator) {
		return fmt.Errorf("result name %q holds a path separator", name)
	}
	if err := os.WriteFile(filepath.Join(w.tmp, name), data, 0o644); err != nil {
		return fmt.Errorf("cannot write result: %w", err)
	}
	return nil
}

// Commit replaces the final folder with the staged one.
func (w *Writer) Commit() error {
	if _, err := os.Stat(w.final); err == nil {
		old := w.tmp + "-old"
		if err := os.Rename(w.final, old); err != nil {
			return fmt.Errorf("cannot replace %s: %w", w.final, err)
		}
		defer os.RemoveAll(old)
	}
	if err := os.Rename(w.tmp, w.final); err != nil {
		return fmt.Errorf("cannot move results into %s: %w", w.final, err)
	}
	return nil
}

// Abort removes the staged folder; the previous results, if any, stay.
func (w *Writer) Abort() {
	_ = os.RemoveAll(w.tmp)
}
