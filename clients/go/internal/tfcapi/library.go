package tfcapi

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "tfapi.h"
*/
import "C"

import (
	"os"
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
