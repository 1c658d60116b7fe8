package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"github.com/gobwas/glob"
	"sigs.k8s.io/yaml"
)

// includeRecursionDepth is PKO's limit for nested `include` calls of the same template name.
const includeRecursionDepth = 1000

var (
	errExceededIncludeRecursion = errors.New("exceeded max include recursion depth")
	errFileNotFound             = errors.New("file not found")
	errInvalidType              = errors.New("invalid type")
)

// sprigAllowed holds the allow-listed sprig functions, looked up once by name.
var sprigAllowed, missingSprigFunctions = buildSprigAllowed()

func buildSprigAllowed() (template.FuncMap, []string) {
	all := sprig.TxtFuncMap()
	out := make(template.FuncMap, len(allowedSprig))
	var missing []string
	for _, name := range allowedSprig {
		fn, ok := all[name]
		if !ok {
			missing = append(missing, name)
			continue
		}
		out[name] = fn
	}
	return out, missing
}

// funcsFor returns the function map of one template set: the sprig allow-list, PKO's extras, and for the
// package function set also getFile, getFileGlob and cel. Per-render state is read through set.current.
func funcsFor(set *templateSet, functionSet string) template.FuncMap {
	funcs := make(template.FuncMap, len(sprigAllowed)+8)
	for name, fn := range sprigAllowed {
		funcs[name] = fn
	}
	funcs["b64decMap"] = base64decodeMap
	funcs["include"] = set.include
	funcs["toYAML"] = toYAML
	funcs["fromYAML"] = fromYAML
	if functionSet == functionSetPackage {
		funcs["getFile"] = set.getFile
		funcs["getFileGlob"] = set.getFileGlob
		funcs["cel"] = set.cel
	}
	return funcs
}

// include executes a named template with data and returns its output (PKO semantics, recursion-limited).
func (s *templateSet) include(name string, data any) (string, error) {
	var buf strings.Builder
	counts := s.current.included
	if v, ok := counts[name]; ok {
		if v > includeRecursionDepth {
			return "", fmt.Errorf("including template with name %s: %w", name, errExceededIncludeRecursion)
		}
		counts[name]++
	} else {
		counts[name] = 1
	}
	err := s.root.ExecuteTemplate(&buf, name, data)
	counts[name]--
	return buf.String(), err
}

func (s *templateSet) getFile(path string) (string, error) {
	content, ok := s.current.host.File(path)
	if !ok {
		return "", errFileNotFound
	}
	return string(content), nil
}

func (s *templateSet) getFileGlob(pattern string) (map[string]string, error) {
	g, err := glob.Compile(pattern, '/')
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, path := range s.current.host.Paths() {
		if !g.Match(path) {
			continue
		}
		if content, ok := s.current.host.File(path); ok {
			out[path] = string(content)
		}
	}
	return out, nil
}

func (s *templateSet) cel(expression string) (bool, error) {
	return s.current.host.Cel(expression)
}

func base64decodeMap(data map[string]any) (map[string]any, error) {
	decoded := map[string]any{}
	for k, vi := range data {
		v, ok := vi.(string)
		if !ok {
			continue
		}
		d, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("decode base64 value at key %s: %w", k, err)
		}
		decoded[k] = string(d)
	}
	return decoded, nil
}

func toYAML(v any) (string, error) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(data), "\n"), nil
}

func fromYAML(y any) (out any, err error) {
	var b []byte
	switch v := y.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return nil, fmt.Errorf("fromYAML requires string or []byte as input: %w", errInvalidType)
	}
	return out, yaml.Unmarshal(b, &out)
}
