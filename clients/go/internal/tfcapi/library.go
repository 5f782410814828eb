package tfcapi

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "tfapi.h"
*/
import "C"

import (
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"tfinterop.dev/clients/go/internal/status"
)

// libraryDir is the tensorflow wheel folder the build found, set by the
// Makefile with -ldflags -X; the TFINTEROP_TF_DIR environment variable
// overrides it (as for the C++ client).
var libraryDir string

// Dir is the folder the TensorFlow libraries are loaded from.
func Dir() string {
	if d := os.Getenv("TFINTEROP_TF_DIR"); d != "" {
		return d
	}
	return libraryDir
}

// Open loads the TensorFlow C library on first use and returns that first
// outcome ever after: TensorFlow cannot be unloaded, so neither can this.
// FAILED_PRECONDITION names the folder, library or symbol at fault.
func Open() error { return openOnce() }

var openOnce = sync.OnceValue(func() error {
	dir := Dir()
	if dir == "" {
		return status.Errorf(status.FailedPrecondition, "the TensorFlow library folder is unknown: build with clients/go/Makefile or set TFINTEROP_TF_DIR to the tensorflow wheel's folder")
	}
	cdir := C.CString(dir)
	defer C.free(unsafe.Pointer(cdir))
	if msg := C.tfi_load(cdir); msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return status.Errorf(status.FailedPrecondition, "%s", C.GoString(msg))
	}
	return nil
})

// Library names the loaded C library, for run.json and info.
func Library() string {
	return Dir() + "/libtensorflow_cc.so.2"
}

// opLibraries holds every TF_LoadLibrary outcome of the process by absolute
// path. The TF_Library handles are kept, never deleted: a loaded library's
// ops and kernels stay registered for the process whatever is done with the
// handle, and the map is what makes each path load once.
var opLibraries = struct {
	mu     sync.Mutex
	loaded map[string]*opLibrary
}{loaded: map[string]*opLibrary{}}

type opLibrary struct {
	once   sync.Once
	handle *C.TF_Library
	err    error
}

// LoadLibrary registers the ops and kernels of the custom-op library at path
// with TF_LoadLibrary, once per absolute path for the process; a later call
// returns the first outcome. The error keeps TF_LoadLibrary's code (NOT_FOUND
// for a file the dynamic loader cannot open) and its message.
func LoadLibrary(path string) error {
	if err := Open(); err != nil {
		return err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return status.Errorf(status.InvalidArgument, "op library %q: %v", path, err)
	}
	opLibraries.mu.Lock()
	lib, ok := opLibraries.loaded[abs]
	if !ok {
		lib = &opLibrary{}
		opLibraries.loaded[abs] = lib
	}
	opLibraries.mu.Unlock()
	lib.once.Do(func() {
		cpath := C.CString(abs)
		defer C.free(unsafe.Pointer(cpath))
		st := C.tfi_NewStatus()
		defer C.tfi_DeleteStatus(st)
		lib.handle = C.tfi_LoadLibrary(cpath, st)
		lib.err = statusError(st, "loading op library "+abs)
	})
	return lib.err
}
