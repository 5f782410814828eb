// Package quiet keeps TensorFlow's own logging (start-up notices, absl and
// XLA lines that ignore TF_CPP_MIN_LOG_LEVEL) off the terminal unless the
// user asks for it with --verbose or TFINTEROP_VERBOSE. The process's stderr
// (fd 2, which TensorFlow's C++ code writes to directly) is redirected into a
// pipe read by a child process, this same binary run with ChildArg, which
// drops TensorFlow's log records and passes every other line unchanged. A
// child rather than a goroutine, so the last lines of a crash (a Go panic,
// a TensorFlow CHECK failure) still get out after this process dies.
package quiet

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"slices"
	"syscall"
	"time"
)

// ChildArg, as the only argument, makes the binary run as the filter child.
const ChildArg = "__tfinterop-stderr-filter"

// Verbose reports whether TensorFlow's logging should be shown: --verbose
// among args, or TFINTEROP_VERBOSE set to anything but "" or "0".
func Verbose(args []string) bool {
	if v := os.Getenv("TFINTEROP_VERBOSE"); v != "" && v != "0" {
		return true
	}
	return slices.Contains(args, "--verbose") || slices.Contains(args, "-verbose")
}

// The shapes of TensorFlow's log lines: absl's ("I0000 00:00:1700000000.1
// 123 file.cc:31] ..."), TensorFlow's own older format ("2026-01-02
// 10:02:30.163804: I tensorflow/..."), and the notices printed without one.
// FATAL records (F...) are kept: they explain a crash.
var tfLine = regexp.MustCompile(`^(?:[IWE]\d{4} \d\d:\d\d:\d\d|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?: [IWE] |` +
	`WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR|` +
	`To enable the following instructions: .*rebuild TensorFlow with the appropriate compiler flags|` +
	`oneDNN custom operations are on)`)

// Lines is the line filter: Drop reports whether a line (without its newline)
// is part of a TensorFlow log record. A record's message can span lines: the
// indented lines after a dropped record line belong to it.
type Lines struct{ inRecord bool }

// Drop reports whether line is TensorFlow logging.
func (f *Lines) Drop(line []byte) bool {
	if f.inRecord && len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
		return true
	}
	f.inRecord = tfLine.Match(line)
	return f.inRecord
}

// Filter copies r to w, dropping TensorFlow's log lines; other bytes pass
// unchanged (a last line without a newline too). After w fails it keeps
// reading, so the writer on the other end of r never blocks on a full pipe.
func Filter(r io.Reader, w io.Writer) error {
	in := bufio.NewReaderSize(r, 64<<10)
	var lines Lines
	var werr error
	for {
		line, err := in.ReadBytes('\n')
		if len(line) > 0 && werr == nil && !lines.Drop(bytes.TrimRight(line, "\r\n")) {
			_, werr = w.Write(line)
		}
		if err == io.EOF {
			return werr
		}
		if err != nil {
			return err
		}
	}
}

// RunChild is the filter child's whole life: stdin (the parent's stderr
// pipe) to stdout (the parent's real stderr) until the parent closes it.
// Signals meant for the process group are ignored: the parent's death
// closes the pipe, and the child exits after passing on what is left.
func RunChild() int {
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGPIPE)
	if err := Filter(os.Stdin, os.Stdout); err != nil {
		return 1
	}
	return 0
}

// Start sets TF_CPP_MIN_LOG_LEVEL=2 unless the user set it (fewer lines to
// filter), then sends fd 2 through a filter child started from exe (this
// binary). The returned stop restores fd 2 and waits for the child to pass on
// everything; call it before exiting. On error fd 2 is left as it was.
func Start(exe string) (stop func(), err error) {
	if _, set := os.LookupEnv("TF_CPP_MIN_LOG_LEVEL"); !set {
		os.Setenv("TF_CPP_MIN_LOG_LEVEL", "2")
	}
	saved, err := syscall.Dup(2)
	if err != nil {
		return nil, err
	}
	syscall.CloseOnExec(saved)
	stderr := os.NewFile(uintptr(saved), "stderr")
	r, w, err := os.Pipe()
	if err != nil {
		stderr.Close()
		return nil, err
	}
	child := exec.Command(exe, ChildArg)
	child.Stdin, child.Stdout, child.Stderr = r, stderr, stderr
	err = child.Start()
	r.Close()
	if err == nil {
		err = syscall.Dup3(int(w.Fd()), 2, 0)
	}
	w.Close()
	if err != nil {
		if child.Process != nil {
			child.Process.Kill()
			child.Wait()
		}
		stderr.Close()
		return nil, err
	}
	return func() {
		// Pointing fd 2 back at the real stderr closes the pipe's last
		// write end: the child reads to the end and exits.
		syscall.Dup3(saved, 2, 0)
		done := make(chan struct{})
		go func() { child.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second): // something else holds the pipe open
		}
		stderr.Close()
	}, nil
}
