// Command jsonata-select is the measurement behind the choice of the Go
// JSONata library: it evaluates the corpus of internal/offline/asl/jsonata
// with each candidate and compares with npm jsonata's answers
// (tools/node/jsonata-batch.mjs), then times evaluation of compiled
// expressions. It is its own module so the candidates stay out of go.mod.
//
//	node ../node/jsonata-batch.mjs ../../internal/offline/asl/jsonata/testdata/corpus.json > /tmp/npm.jsonl
//	go run . ../../internal/offline/asl/jsonata/testdata/corpus.json /tmp/npm.jsonl
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	blues "github.com/blues/jsonata-go"
	xia "github.com/xiatechs/jsonata-go"
)

type tc struct {
	Name  string `json:"name"`
	Expr  string `json:"expr"`
	Input any    `json:"input"`
}
type ans struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
	Undef bool   `json:"undefined"`
	Error string `json:"error"`
}

func canon(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "ENCODE:" + err.Error()
	}
	return b.String()
}

func show(a ans) string {
	switch {
	case a.Error != "":
		return "error"
	case a.Undef:
		return "undefined"
	}
	return canon(a.Value)
}

func nullify(v any) any {
	switch v := v.(type) {
	case nil:
		var p *any
		return p
	case map[string]any:
		m := map[string]any{}
		for k, e := range v {
			m[k] = nullify(e)
		}
		return m
	case []any:
		a := make([]any, len(v))
		for i, e := range v {
			a[i] = nullify(e)
		}
		return a
	}
	return v
}

func main() {
	var cases []tc
	data, _ := os.ReadFile(os.Args[1])
	json.Unmarshal(data, &cases)
	ref := map[string]ans{}
	f, _ := os.Open(os.Args[2])
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var a ans
		json.Unmarshal(sc.Bytes(), &a)
		ref[a.Name] = a
	}
	type lib = candidate
	for i := range cases {
		cases[i].Input = nullify(cases[i].Input)
	}
	libs := []lib{
		{name: "xiatechs/jsonata-go v1.8.8", timeEval: timeXia, eval: func(expr string, in any) (any, error, error) {
			e, err := xia.Compile(expr)
			if err != nil {
				return nil, err, nil
			}
			e.RegisterVars(map[string]any{"states": map[string]any{"input": in}})
			v, err := e.Eval(in)
			if err == xia.ErrUndefined {
				return nil, nil, err
			}
			return v, err, nil
		}},
		{name: "blues/jsonata-go v1.5.4", timeEval: timeBlues, eval: func(expr string, in any) (any, error, error) {
			e, err := blues.Compile(expr)
			if err != nil {
				return nil, err, nil
			}
			e.RegisterVars(map[string]any{"states": map[string]any{"input": in}})
			v, err := e.Eval(in)
			if err == blues.ErrUndefined {
				return nil, nil, err
			}
			return v, err, nil
		}},
	}
	for _, l := range libs {
		agree := 0
		var diffs []string
		start := time.Now()
		for _, c := range cases {
			var got ans
			func() {
				defer func() {
					if r := recover(); r != nil {
						got.Error = fmt.Sprint("panic: ", r)
					}
				}()
				v, err, undef := l.eval(c.Expr, c.Input)
				switch {
				case undef != nil:
					got.Undef = true
				case err != nil:
					got.Error = err.Error()
				default:
					got.Value = v
				}
			}()
			want := ref[c.Name]
			if show(got) == show(want) {
				agree++
			} else {
				g := show(got)
				if got.Error != "" {
					g = "error " + got.Error
				}
				diffs = append(diffs, fmt.Sprintf("  %s: %s\n    npm: %s    go:  %s", c.Name, c.Expr, show(want), g))
			}
		}
		_ = start
		fmt.Printf("%s: %d/%d agree with npm jsonata; %.1f µs per evaluation of a compiled corpus expression\n", l.name, agree, len(cases), l.timeEval(cases))
		for _, d := range diffs {
			fmt.Println(d)
		}
	}
}

type candidate struct {
	name     string
	eval     func(expr string, in any) (any, error, error)
	timeEval func(cases []tc) float64
}

const rounds = 200

// timeBlues and timeXia compile each expression once, bind $states, and
// time rounds evaluations of every expression that compiles.
func timeBlues(cases []tc) float64 {
	var total time.Duration
	n := 0
	for _, c := range cases {
		e, err := blues.Compile(c.Expr)
		if err != nil {
			continue
		}
		e.RegisterVars(map[string]any{"states": map[string]any{"input": c.Input}})
		start := time.Now()
		for range rounds {
			e.Eval(c.Input)
		}
		total += time.Since(start)
		n += rounds
	}
	return float64(total.Nanoseconds()) / float64(n) / 1000
}

func timeXia(cases []tc) float64 {
	var total time.Duration
	n := 0
	for _, c := range cases {
		e, err := xia.Compile(c.Expr)
		if err != nil {
			continue
		}
		e.RegisterVars(map[string]any{"states": map[string]any{"input": c.Input}})
		start := time.Now()
		for range rounds {
			e.Eval(c.Input)
		}
		total += time.Since(start)
		n += rounds
	}
	return float64(total.Nanoseconds()) / float64(n) / 1000
}
