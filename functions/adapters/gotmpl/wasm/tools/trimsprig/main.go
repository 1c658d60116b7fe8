// Command trimsprig writes a build overlay for sprig's functions.go in which the function map holds only the
// allow-listed names of ../../allowlist.go. The linker can then drop everything templates cannot reach
// (crypto, random, network, dates), which makes the WebAssembly module smaller and faster to load. It changes
// no function body: every kept entry is sprig's own source, as pinned in go.sum.
//
// Usage: go run ./tools/trimsprig <sprig module dir> <allowlist.go> <output file>
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: trimsprig <sprig dir> <allowlist.go> <out>")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "trimsprig:", err)
		os.Exit(1)
	}
}

func run(sprigDir, allowlistPath, outPath string) error {
	allowed, err := readAllowList(allowlistPath)
	if err != nil {
		return err
	}
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, filepath.Join(sprigDir, "functions.go"), nil, parser.ParseComments)
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	var decls []ast.Decl
	for _, decl := range file.Decls {
		if keepDecl(decl, allowed, kept) {
			decls = append(decls, decl)
		}
	}
	for name := range allowed {
		if !kept[name] {
			return fmt.Errorf("sprig's genericMap has no function %q", name)
		}
	}
	file.Decls = decls
	file.Comments = nil
	pruneImports(file)
	out, err := os.Create(outPath)
	if err != nil {
		return err
	}
	defer out.Close()
	return printer.Fprint(out, fset, file)
}

// keepDecl keeps imports, TxtFuncMap, GenericFuncMap and genericMap (filtered); it drops the html/template
// and hermetic variants, which nothing in sprig itself uses.
func keepDecl(decl ast.Decl, allowed, kept map[string]bool) bool {
	switch d := decl.(type) {
	case *ast.FuncDecl:
		return d.Name.Name == "TxtFuncMap" || d.Name.Name == "GenericFuncMap"
	case *ast.GenDecl:
		if d.Tok == token.IMPORT {
			return true
		}
		for _, spec := range d.Specs {
			vs, ok := spec.(*ast.ValueSpec)
			if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "genericMap" {
				continue
			}
			lit, ok := vs.Values[0].(*ast.CompositeLit)
			if !ok {
				return false
			}
			var elts []ast.Expr
			for _, elt := range lit.Elts {
				kv, ok := elt.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				key, ok := kv.Key.(*ast.BasicLit)
				if !ok {
					continue
				}
				name, err := strconv.Unquote(key.Value)
				if err == nil && allowed[name] {
					elts = append(elts, kv)
					kept[name] = true
				}
			}
			lit.Elts = elts
			return true
		}
		return false
	}
	return false
}

// pruneImports removes imports no longer referenced after filtering.
func pruneImports(file *ast.File) {
	used := map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok {
				used[id.Name] = true
			}
		}
		return true
	})
	var imports []*ast.ImportSpec
	for _, decl := range file.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		var specs []ast.Spec
		for _, spec := range gd.Specs {
			is := spec.(*ast.ImportSpec)
			path, _ := strconv.Unquote(is.Path.Value)
			name := filepath.Base(path)
			if is.Name != nil {
				name = is.Name.Name
			}
			if used[name] {
				specs = append(specs, is)
				imports = append(imports, is)
			}
		}
		gd.Specs = specs
	}
	file.Imports = imports
}

// readAllowList reads the string literals of `var allowedSprig = []string{…}`.
func readAllowList(path string) (map[string]bool, error) {
	file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	ast.Inspect(file, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "allowedSprig" {
			return true
		}
		for _, elt := range vs.Values[0].(*ast.CompositeLit).Elts {
			if lit, ok := elt.(*ast.BasicLit); ok {
				s, _ := strconv.Unquote(lit.Value)
				out[s] = true
			}
		}
		return false
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("no allowedSprig list in %s", path)
	}
	return out, nil
}
