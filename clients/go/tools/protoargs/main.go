// Command protoargs prints the protoc arguments that generate Go code for every
// file of a FileDescriptorSet: one --go_opt/--go-grpc_opt M mapping per file
// (one Go package per proto folder) followed by the file names. It exists so
// the Makefile never keeps a hand-written list of proto files.
package main

import (
	"fmt"
	"os"
	"path"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// packageNames gives the generated packages short, distinct Go names; a
// folder not listed falls back to its last element. A file at the root of
// the import path (Triton's grpc_service.proto) goes to the folder named by
// its proto package ("inference").
var packageNames = map[string]string{
	"tensorflow/core/framework": "framework",
	"tensorflow/core/protobuf":  "corepb",
	"tensorflow/core/example":   "example",
	"xla/tsl/protobuf":          "tslpb",
	"tensorflow_serving/apis":   "apis",
	"tensorflow_serving/config": "config",
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: protoargs IMPORT_PREFIX DESCRIPTOR_SET")
		os.Exit(2)
	}
	prefix, setPath := os.Args[1], os.Args[2]
	data, err := os.ReadFile(setPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "protoargs: %v\n", err)
		os.Exit(1)
	}
	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(data, &set); err != nil {
		fmt.Fprintf(os.Stderr, "protoargs: %s is not a FileDescriptorSet: %v\n", setPath, err)
		os.Exit(1)
	}
	var files []string
	for _, f := range set.GetFile() {
		name := f.GetName()
		if strings.HasPrefix(name, "google/protobuf/") {
			continue // well-known types ship with protobuf-go
		}
		dir := path.Dir(name)
		if dir == "." {
			// Triton's grpc_service.proto and model_config.proto sit at the
			// root of their import path: their proto package names the folder.
			dir = f.GetPackage()
			if dir == "" {
				fmt.Fprintf(os.Stderr, "protoargs: %s is at the root and has no package\n", name)
				os.Exit(1)
			}
		}
		pkg, ok := packageNames[dir]
		if !ok {
			pkg = path.Base(dir)
		}
		m := fmt.Sprintf("M%s=%s/%s;%s", name, prefix, dir, pkg)
		fmt.Printf("--go_opt=%s\n--go-grpc_opt=%s\n", m, m)
		files = append(files, name)
	}
	for _, f := range files {
		fmt.Println(f)
	}
}
