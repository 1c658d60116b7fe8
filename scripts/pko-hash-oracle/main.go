// Command pko-hash-oracle prints the hashes PKO v1.19.0 computes, with PKO's own code, for JSON inputs; the parity
// test (test/parity/pko-hash.test.ts) compares Gantry's TypeScript hashes with them. Built against PKO's source by
// scripts/pko-hash-oracle/build.sh, never by `npm test` itself.
//
// Input (stdin): a JSON array of cases, each {"kind", "value", ...}:
//   - "template": value is an ObjectSetTemplate as the API server serves it; "collisionCount" (optional, int32).
//     Hash: utils.ComputeFNV32Hash(template, collisionCount), as PKO's ObjectDeployment hash reconciler does.
//   - "packageSpec": value is a PackageSpec; "modifier" (optional, int32), "overrides" (optional, [{from, to}]).
//     Hash: utils.ComputeSHA256Hash(spec, modifier) [+ ComputeSHA256Hash(overrides, nil)], as PKO's unpack does.
//   - "sliceObjects": value is a list of ObjectSetObjects; "collisionCount" (int32, PKO starts at 0).
//     Hash: utils.ComputeFNV32Hash(objects, &collisionCount), as PKO names ObjectSlices; "sizes": what PKO's
//     BinpackNextFit chunker counts for each object (json.Marshal(obj.Object)).
//
// Every value first takes the API server's round trip (decoded with integers kept, encoded by encoding/json),
// then is decoded into PKO's typed structs as client-go decodes them.
// Output (stdout): a JSON array of {"spew", "hash"} or {"error"}, one per case.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/davecgh/go-spew/spew"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	corev1alpha1 "package-operator.run/apis/core/v1alpha1"
	"package-operator.run/internal/imageprefix"
	"package-operator.run/internal/utils"
)

type request struct {
	Kind           string          `json:"kind"`
	Value          json.RawMessage `json:"value"`
	CollisionCount *int32          `json:"collisionCount"`
	Modifier       *int32          `json:"modifier"`
	Overrides      []struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"overrides"`
}

type result struct {
	Spew  string `json:"spew,omitempty"`
	Hash  string `json:"hash,omitempty"`
	Sizes []int  `json:"sizes,omitempty"`
	Error string `json:"error,omitempty"`
}

// The printer PKO's utils.DeepHashObject uses.
var printer = spew.ConfigState{Indent: " ", SortKeys: true, DisableMethods: true, SpewKeys: true}

// asServed gives the bytes the API server would serve for a value it was sent.
func asServed(raw []byte) ([]byte, error) {
	var v interface{}
	if err := utiljson.Unmarshal(raw, &v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func decode(raw []byte, into interface{}) error {
	served, err := asServed(raw)
	if err != nil {
		return err
	}
	return utiljson.Unmarshal(served, into)
}

func answer(r request) result {
	switch r.Kind {
	case "template":
		var t corev1alpha1.ObjectSetTemplate
		if err := decode(r.Value, &t); err != nil {
			return result{Error: err.Error()}
		}
		return result{Spew: printer.Sprintf("%#v", t), Hash: utils.ComputeFNV32Hash(t, r.CollisionCount)}
	case "packageSpec":
		var s corev1alpha1.PackageSpec
		if err := decode(r.Value, &s); err != nil {
			return result{Error: err.Error()}
		}
		hash := utils.ComputeSHA256Hash(s, r.Modifier)
		text := printer.Sprintf("%#v", s)
		if len(r.Overrides) > 0 {
			overrides := make([]imageprefix.Override, 0, len(r.Overrides))
			for _, o := range r.Overrides {
				overrides = append(overrides, imageprefix.Override{From: o.From, To: o.To})
			}
			hash += utils.ComputeSHA256Hash(overrides, nil)
			text += "\n" + printer.Sprintf("%#v", overrides)
		}
		return result{Spew: text, Hash: hash}
	case "sliceObjects":
		var objects []corev1alpha1.ObjectSetObject
		if err := decode(r.Value, &objects); err != nil {
			return result{Error: err.Error()}
		}
		var count int32
		if r.CollisionCount != nil {
			count = *r.CollisionCount
		}
		// The size PKO's BinpackNextFit chunker gives each object (json.Marshal(obj.Object), as it does).
		sizes := make([]int, 0, len(objects))
		for _, obj := range objects {
			b, err := json.Marshal(obj.Object)
			if err != nil {
				return result{Error: err.Error()}
			}
			sizes = append(sizes, len(b))
		}
		return result{
			Spew: printer.Sprintf("%#v", objects), Hash: utils.ComputeFNV32Hash(objects, &count), Sizes: sizes,
		}
	}
	return result{Error: fmt.Sprintf("unknown kind %q", r.Kind)}
}

func main() {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var requests []request
	if err := json.Unmarshal(in, &requests); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := make([]result, 0, len(requests))
	for _, r := range requests {
		out = append(out, answer(r))
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
