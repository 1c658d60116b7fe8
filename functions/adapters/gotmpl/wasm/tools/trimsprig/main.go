// Command trimsprig writes a trimmed copy of sprig's Go files: the function map holds only the allow-listed
// names of ../../allowlist.go, and every top-level declaration those functions cannot reach is dropped together
// with the imports only it used (crypto, random, network, dates). The module gets smaller and faster to load,
// and the functions outside the allow-list do not exist in it at all. No kept function body is changed: every
// kept declaration is sprig's own source, as pinned in go.sum.
//
// Usage: go run ./tools/trimsprig <sprig module dir> <allowlist.go> <output dir>
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
	"strings"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: trimsprig <sprig dir> <allowlist.go> <out dir>")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "trimsprig:", err)
		os.Exit(1)
	}
}

func run(sprigDir, allowlistPath, outDir string) error {
	allowed, err := readAllowList(allowlistPath)
	if err != nil {
		return err
	}
	fset := token.NewFileSet()
	files, err := parsePackage(fset, sprigDir)
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, file := range files {
		if filepath.Base(fset.Position(file.Package).Filename) != "functions.go" {
			continue
		}
		var decls []ast.Decl
		for _, decl := range file.Decls {
			if keepDecl(decl, allowed, kept) {
				decls = append(decls, decl)
			}
		}
		file.Decls = decls
	}
	for name := range allowed {
		if !kept[name] {
			return fmt.Errorf("sprig's genericMap has no function %q", name)
		}
	}
	pruneUnreachable(files)
	for _, file := range files {
		file.Comments = nil
		pruneImports(file)
		out, err := os.Create(filepath.Join(outDir, filepath.Base(fset.Position(file.Package).Filename)))
		if err != nil {
			return err
		}
		if err := printer.Fprint(out, fset, file); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
	return nil
}

func parsePackage(fset *token.FileSet, dir string) ([]*ast.File, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var files []*ast.File
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		files = append(files, file)
	}
	return files, nil
}

// decl is one prunable top-level declaration: a function, method, type, var or const spec.
type decl struct {
	names []string // the top-level names it declares (methods: none)
	recv  string   // receiver type for methods
	node  ast.Node
}

// pruneUnreachable keeps what is reachable from genericMap, TxtFuncMap, GenericFuncMap and init functions.
func pruneUnreachable(files []*ast.File) {
	var all []*decl
	byName := map[string][]*decl{}
	methods := map[string][]*decl{}
	for _, file := range files {
		for _, d := range file.Decls {
			for _, pd := range splitDecl(d) {
				all = append(all, pd)
				for _, n := range pd.names {
					byName[n] = append(byName[n], pd)
				}
				if pd.recv != "" {
					methods[pd.recv] = append(methods[pd.recv], pd)
				}
			}
		}
	}
	live := map[*decl]bool{}
	var queue []*decl
	mark := func(d *decl) {
		if !live[d] {
			live[d] = true
			queue = append(queue, d)
		}
	}
	for _, root := range []string{"genericMap", "TxtFuncMap", "GenericFuncMap", "init"} {
		for _, d := range byName[root] {
			mark(d)
		}
	}
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		ast.Inspect(d.node, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok {
				for _, ref := range byName[id.Name] {
					mark(ref)
				}
				for _, m := range methods[id.Name] {
					mark(m)
				}
			}
			return true
		})
	}
	for _, file := range files {
		var decls []ast.Decl
		for _, d := range file.Decls {
			if keepLive(d, live, all) {
				decls = append(decls, d)
			}
		}
		file.Decls = decls
	}
}

func splitDecl(d ast.Decl) []*decl {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if d.Recv != nil && len(d.Recv.List) == 1 {
			return []*decl{{recv: recvName(d.Recv.List[0].Type), node: d}}
		}
		return []*decl{{names: []string{d.Name.Name}, node: d}}
	case *ast.GenDecl:
		if d.Tok == token.IMPORT {
			return nil
		}
		var out []*decl
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				out = append(out, &decl{names: []string{s.Name.Name}, node: s})
			case *ast.ValueSpec:
				var names []string
				for _, n := range s.Names {
					names = append(names, n.Name)
				}
				out = append(out, &decl{names: names, node: s})
			}
		}
		return out
	}
	return nil
}

func recvName(expr ast.Expr) string {
	switch e := expr.(type) {
	case *ast.StarExpr:
		return recvName(e.X)
	case *ast.Ident:
		return e.Name
	case *ast.IndexExpr:
		return recvName(e.X)
	}
	return ""
}

// keepLive filters one file-level declaration (specs of a GenDecl individually) by liveness.
func keepLive(d ast.Decl, live map[*decl]bool, all []*decl) bool {
	isLive := func(node ast.Node) bool {
		for _, pd := range all {
			if pd.node == node {
				return live[pd]
			}
		}
		return true
	}
	switch d := d.(type) {
	case *ast.FuncDecl:
		return isLive(d)
	case *ast.GenDecl:
		if d.Tok == token.IMPORT {
			return true
		}
		var specs []ast.Spec
		for _, spec := range d.Specs {
			if isLive(spec) {
				specs = append(specs, spec)
			}
		}
		d.Specs = specs
		return len(specs) > 0
	}
	return true
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
	var decls []ast.Decl
	for _, decl := range file.Decls {
		if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.IMPORT && len(gd.Specs) == 0 {
			continue
		}
		decls = append(decls, decl)
	}
	file.Decls = decls
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
