package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/template"
)

const (
	functionSetPackage        = "package"
	functionSetObjectTemplate = "objectTemplate"

	// maxCachedSets bounds the parsed-template cache (least recently used sets are dropped).
	maxCachedSets = 64
	// maxOutputBytes bounds what one render may write in total (untrusted templates).
	maxOutputBytes = 64 << 20
)

var errOutputTooLarge = fmt.Errorf("template output exceeds %d bytes", maxOutputBytes)

// Host gives a render access to the caller: package files and the CEL evaluator.
type Host interface {
	File(path string) ([]byte, bool)
	Paths() []string
	Cel(expression string) (bool, error)
}

// call is the state of one render: its host and PKO's include recursion counters.
type call struct {
	host     Host
	included map[string]int
	written  int
}

// templateSet is every template of one request parsed into one set (cross-file define works).
type templateSet struct {
	root    *template.Template
	current *call
}

// Phase says where a render failed: "parse" (the template set) or "execute" (one template).
type RenderError struct {
	Phase string
	Path  string
	Err   error
	// Context is the template data as fmt's %+v prints it, for execute errors (PKO quotes it in its message).
	Context string
}

func (e *RenderError) Error() string { return e.Err.Error() }

// parseSet parses every template into one set, in the given order (the caller sorts by path).
func parseSet(functionSet string, names, sources []string) (*templateSet, error) {
	if functionSet != functionSetPackage && functionSet != functionSetObjectTemplate {
		return nil, &RenderError{Phase: "parse", Err: fmt.Errorf("unknown function set %q", functionSet)}
	}
	if len(missingSprigFunctions) > 0 {
		return nil, &RenderError{Phase: "parse", Err: fmt.Errorf("sprig lacks allow-listed functions %v", missingSprigFunctions)}
	}
	set := &templateSet{}
	set.root = template.New("pkg").Option("missingkey=error")
	set.root.Funcs(funcsFor(set, functionSet))
	for i, name := range names {
		if _, err := set.root.New(name).Parse(sources[i]); err != nil {
			return nil, &RenderError{Phase: "parse", Path: name, Err: err}
		}
	}
	return set, nil
}

// execute runs the named templates with data. Re-entrant: the previous call state is restored afterwards.
func (s *templateSet) execute(c *call, names []string, data any) ([]string, error) {
	prev := s.current
	s.current = c
	defer func() { s.current = prev }()
	outs := make([]string, 0, len(names))
	for _, name := range names {
		w := &limitedWriter{c: c}
		if err := s.root.ExecuteTemplate(w, name, data); err != nil {
			return nil, &RenderError{Phase: "execute", Path: name, Err: err, Context: fmt.Sprintf("%+v", data)}
		}
		outs = append(outs, string(w.buf))
	}
	return outs, nil
}

type limitedWriter struct {
	c   *call
	buf []byte
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	w.c.written += len(p)
	if w.c.written > maxOutputBytes {
		return 0, errOutputTooLarge
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// decodeContext turns the JSON context into what PKO's templates see: a JSON round trip into map[string]any,
// with package.metadata.labels/annotations defaulted to empty maps for the package function set.
func decodeContext(functionSet string, contextJSON string) (map[string]any, error) {
	data := map[string]any{}
	if contextJSON != "" && contextJSON != "null" {
		if err := json.Unmarshal([]byte(contextJSON), &data); err != nil {
			return nil, &RenderError{Phase: "context", Err: fmt.Errorf("decoding template context: %w", err)}
		}
	}
	if functionSet == functionSetPackage {
		defaultMetadataMaps(data)
	}
	return data, nil
}

func defaultMetadataMaps(data map[string]any) {
	pkg, ok := data["package"].(map[string]any)
	if !ok {
		return
	}
	metadata, ok := pkg["metadata"].(map[string]any)
	if !ok {
		return
	}
	if metadata["annotations"] == nil {
		metadata["annotations"] = map[string]string{}
	}
	if metadata["labels"] == nil {
		metadata["labels"] = map[string]string{}
	}
}

// setCache is a small LRU of parsed template sets keyed by a hash of their sources and function set.
type setCache struct {
	sets  map[string]*templateSet
	order []string
}

func newSetCache() *setCache { return &setCache{sets: map[string]*templateSet{}} }

func (c *setCache) get(key string) (*templateSet, bool) {
	set, ok := c.sets[key]
	if ok {
		c.touch(key)
	}
	return set, ok
}

func (c *setCache) put(key string, set *templateSet) {
	if _, ok := c.sets[key]; !ok && len(c.order) >= maxCachedSets {
		oldest := c.order[0]
		c.order = c.order[1:]
		delete(c.sets, oldest)
	}
	c.sets[key] = set
	c.touch(key)
}

func (c *setCache) touch(key string) {
	for i, k := range c.order {
		if k == key {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.order = append(c.order, key)
}

// Request is one render as the JS side describes it.
type Request struct {
	Key         string
	FunctionSet string
	Execute     []string
	// ContextKey identifies the context JSON (a hash); decoded contexts are cached by it and deep-copied per render.
	ContextKey string
	// Context is called only when ContextKey is not cached: the context as JSON.
	Context func() string
	// Templates is called only when Key is not cached: names (sorted) and sources.
	Templates func() ([]string, []string)
}

// Engine renders requests against cached template sets and cached decoded contexts.
type Engine struct {
	cache    *setCache
	contexts map[string]map[string]any
	ctxOrder []string
}

// maxCachedContexts bounds the decoded-context cache.
const maxCachedContexts = 16

func NewEngine() *Engine { return &Engine{cache: newSetCache(), contexts: map[string]map[string]any{}} }

// context returns a private copy of the decoded context: templates may mutate it (sprig's set, unset, merge).
func (e *Engine) context(req Request) (map[string]any, error) {
	if req.ContextKey != "" {
		if cached, ok := e.contexts[req.ContextKey]; ok {
			return deepCopyMap(cached), nil
		}
	}
	data, err := decodeContext(req.FunctionSet, req.Context())
	if err != nil || req.ContextKey == "" {
		return data, err
	}
	if len(e.ctxOrder) >= maxCachedContexts {
		delete(e.contexts, e.ctxOrder[0])
		e.ctxOrder = e.ctxOrder[1:]
	}
	e.contexts[req.ContextKey] = deepCopyMap(data)
	e.ctxOrder = append(e.ctxOrder, req.ContextKey)
	return data, nil
}

// deepCopyMap copies what a JSON decode (plus defaultMetadataMaps) produces.
func deepCopyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopyValue(v)
	}
	return out
}

func deepCopyValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return deepCopyMap(t)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopyValue(x)
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(t))
		for k, x := range t {
			out[k] = x
		}
		return out
	default:
		return v // string, float64, bool, nil
	}
}

func (e *Engine) Render(req Request, host Host) (outs []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			outs, err = nil, &RenderError{Phase: "internal", Err: fmt.Errorf("template engine panic: %v", r)}
		}
	}()
	set, ok := e.cache.get(req.Key)
	if !ok {
		names, sources := req.Templates()
		set, err = parseSet(req.FunctionSet, names, sources)
		if err != nil {
			return nil, err
		}
		e.cache.put(req.Key, set)
	}
	data, err := e.context(req)
	if err != nil {
		return nil, err
	}
	return set.execute(&call{host: host, included: map[string]int{}}, req.Execute, data)
}

// AsRenderError returns the phase, path and context of err when it is a RenderError.
func AsRenderError(err error) (string, string, string) {
	var re *RenderError
	if errors.As(err, &re) {
		return re.Phase, re.Path, re.Context
	}
	return "internal", "", ""
}
