// Command gobench times Go's text/template on the same inputs as examples/template_bench.rs,
// for `cargo xtask bench template`. It implements the few confd functions the benchmark
// templates use (gets, getv, base) over a flat key/value JSON file, the way confd's memkv does.
//
// Usage: gobench TEMPLATE DATA.json KV.json ITERATIONS
// Prints: "median_ns=N bytes=M fnv=H" (H: FNV-1a 64 of the output).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"text/template"
	"time"
)

type kvPair struct {
	Key   string
	Value string
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: gobench TEMPLATE DATA.json KV.json ITERATIONS")
		os.Exit(2)
	}
	src, err := os.ReadFile(os.Args[1])
	check(err)
	var data interface{}
	raw, err := os.ReadFile(os.Args[2])
	check(err)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	check(dec.Decode(&data))
	data = numbers(data)
	kvRaw, err := os.ReadFile(os.Args[3])
	check(err)
	kv := map[string]string{}
	check(json.Unmarshal(kvRaw, &kv))
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	funcs := template.FuncMap{
		"base": path.Base,
		"gets": func(pattern string) ([]kvPair, error) {
			out := []kvPair{}
			for _, k := range keys {
				ok, err := path.Match(pattern, k)
				if err != nil {
					return nil, err
				}
				if ok {
					out = append(out, kvPair{k, kv[k]})
				}
			}
			return out, nil
		},
		"getv": func(key string, def ...string) (string, error) {
			if v, ok := kv[key]; ok {
				return v, nil
			}
			if len(def) > 0 {
				return def[0], nil
			}
			return "", fmt.Errorf("key does not exist: %s", key)
		},
	}
	n, err := strconv.Atoi(os.Args[4])
	check(err)
	times := make([]time.Duration, 0, n)
	var size int
	var sum uint64
	for i := 0; i < n; i++ {
		start := time.Now()
		t, err := template.New(filepath.Base(os.Args[1])).Funcs(funcs).Parse(string(src))
		check(err)
		var buf bytes.Buffer
		check(t.Execute(&buf, data))
		times = append(times, time.Since(start))
		size = buf.Len()
		sum = fnv1a(buf.Bytes())
	}
	sort.Slice(times, func(a, b int) bool { return times[a] < times[b] })
	fmt.Printf("median_ns=%d bytes=%d fnv=%016x\n", times[len(times)/2].Nanoseconds(), size, sum)
}

// numbers turns json.Number into int64 when whole, else float64 (confd-style typed data).
func numbers(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]interface{}:
		for k, e := range x {
			x[k] = numbers(e)
		}
	case []interface{}:
		for i, e := range x {
			x[i] = numbers(e)
		}
	}
	return v
}

// fnv1a is FNV-1a 64, so that the two sides can show that their outputs are identical.
func fnv1a(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
