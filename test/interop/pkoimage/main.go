// Command pkoimage builds and reads package images the way Package Operator's kubectl-package does, with
// the same go-containerregistry calls (PKO's internal/packages/internal/packageexport and packageimport),
// so Gantry's images can be checked against PKO's format without PKO's own module, which the Go module
// proxy of the test machines does not serve.
//
//	pkoimage build <folder> <ref> [label=value ...]   push an image made as `kubectl package build --push` makes it
//	pkoimage load <ref>                               print the package files (path -> sha256) and labels as JSON
package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/crane"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

func hidden(path string) bool {
	for _, segment := range strings.Split(path, "/") {
		if strings.HasPrefix(segment, ".") {
			return true
		}
	}
	return false
}

// readFolder reads a package folder as PKO's folder importer does: regular files, hidden paths skipped.
func readFolder(root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		if hidden(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files[filepath.Join("package", rel)] = data
		return nil
	})
	return files, err
}

func build(folder, ref string, labels []string) error {
	files, err := readFolder(folder)
	if err != nil {
		return err
	}
	config := &v1.ConfigFile{Architecture: "amd64", OS: "linux", RootFS: v1.RootFS{Type: "layers"}}
	if len(labels) > 0 {
		config.Config.Labels = map[string]string{}
		for _, l := range labels {
			k, v, _ := strings.Cut(l, "=")
			config.Config.Labels[k] = v
		}
	}
	image, err := mutate.ConfigFile(empty.Image, config)
	if err != nil {
		return err
	}
	layer, err := crane.Layer(files)
	if err != nil {
		return err
	}
	if image, err = mutate.AppendLayers(image, layer); err != nil {
		return err
	}
	if image, err = mutate.Canonical(image); err != nil {
		return err
	}
	if err := crane.Push(image, ref, crane.Insecure); err != nil {
		return err
	}
	digest, err := image.Digest()
	if err != nil {
		return err
	}
	fmt.Println(digest.String())
	return nil
}

func load(ref string) error {
	image, err := crane.Pull(ref, crane.Insecure)
	if err != nil {
		return err
	}
	reader := mutate.Extract(image)
	defer reader.Close()
	tr := tar.NewReader(reader)
	files := map[string]string{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		path, err := filepath.Rel("package", hdr.Name)
		if err != nil {
			return fmt.Errorf("package image contains files not under the dir package: %w", err)
		}
		if strings.HasPrefix(path, "../") || hidden(path) {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		files[path] = hex.EncodeToString(sum[:])
	}
	if len(files) == 0 {
		return errors.New("Package image contains no files. Might be corrupted.")
	}
	cf, err := image.ConfigFile()
	if err != nil {
		return err
	}
	manifest, err := image.Manifest()
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"files":        files,
		"labels":       cf.Config.Labels,
		"os":           cf.OS,
		"architecture": cf.Architecture,
		"layers":       len(manifest.Layers),
	})
}

func main() {
	var err error
	switch {
	case len(os.Args) >= 4 && os.Args[1] == "build":
		err = build(os.Args[2], os.Args[3], os.Args[4:])
	case len(os.Args) == 3 && os.Args[1] == "load":
		err = load(os.Args[2])
	default:
		err = errors.New("usage: pkoimage build <folder> <ref> [k=v ...] | pkoimage load <ref>")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
