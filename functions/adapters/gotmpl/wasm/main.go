//go:build js && wasm

// Command gotmpl is Gantry's Go template engine compiled to WebAssembly: Go's text/template with PKO's sprig
// allow-list and extras. The JS adapter (../index.ts) sets globalThis.__gantryGotmplRegister, runs this
// program, and receives an object with a synchronous render(request) function.
package main

import (
	"errors"
	"strings"
	"syscall/js"
)

func main() {
	engine := NewEngine()
	api := js.Global().Get("Object").New()
	api.Set("render", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return renderJS(engine, args[0])
	}))
	api.Set("protocol", 1)
	js.Global().Call("__gantryGotmplRegister", api)
	select {}
}

// jsHost reaches the caller's files and CEL evaluator through callbacks on the request object.
type jsHost struct {
	req    js.Value
	paths  []string
	listed bool
}

func (h *jsHost) File(path string) ([]byte, bool) {
	v := h.req.Call("file", path)
	if v.IsNull() || v.IsUndefined() {
		return nil, false
	}
	b := make([]byte, v.Length())
	js.CopyBytesToGo(b, v)
	return b, true
}

func (h *jsHost) Paths() []string {
	if !h.listed {
		h.paths = stringsFromJS(h.req.Call("paths"))
		h.listed = true
	}
	return h.paths
}

func (h *jsHost) Cel(expression string) (bool, error) {
	res := h.req.Call("cel", expression)
	if msg := res.Get("error"); msg.Type() == js.TypeString {
		return false, errors.New(msg.String())
	}
	return res.Get("value").Bool(), nil
}

func stringsFromJS(v js.Value) []string {
	n := v.Length()
	out := make([]string, n)
	for i := 0; i < n; i++ {
		out[i] = v.Index(i).String()
	}
	return out
}

func renderJS(engine *Engine, req js.Value) any {
	// head = key NUL functionSet NUL contextKey {NUL path to execute}: one crossing for every scalar.
	head := strings.Split(req.Get("head").String(), "\x00")
	if len(head) < 3 {
		return errorResult(&RenderError{Phase: "internal", Err: errors.New("malformed request")})
	}
	request := Request{
		Key:         head[0],
		FunctionSet: head[1],
		ContextKey:  head[2],
		Execute:     head[3:],
		Context:     func() string { return req.Call("context").String() },
		Templates: func() ([]string, []string) {
			t := req.Call("templates")
			return stringsFromJS(t.Index(0)), stringsFromJS(t.Index(1))
		},
	}
	outs, err := engine.Render(request, &jsHost{req: req})
	if err != nil {
		return errorResult(err)
	}
	arr := make([]any, len(outs))
	for i, o := range outs {
		arr[i] = o
	}
	return js.ValueOf(arr)
}

// errorResult is {error, phase, path, context} as a plain object; outputs come back as an array.
func errorResult(err error) any {
	phase, path, context := AsRenderError(err)
	return js.ValueOf(map[string]any{"error": err.Error(), "phase": phase, "path": path, "context": context})
}
