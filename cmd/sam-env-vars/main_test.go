package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	local := filepath.Join(dir, "local.json")
	if err := run([]string{"-template", "../../template.yaml", "-local", "-endpoint", "http://host.docker.internal:4566", "-o", local}); err != nil {
		t.Fatal(err)
	}
	var file map[string]map[string]string
	data, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if len(file) == 0 {
		t.Fatal("empty file")
	}
	for fn, vars := range file {
		if vars["AWS_ENDPOINT_URL"] != "http://host.docker.internal:4566" {
			t.Errorf("%s AWS_ENDPOINT_URL = %q, want the -endpoint", fn, vars["AWS_ENDPOINT_URL"])
		}
	}

	deployed := filepath.Join(dir, "deployed.json")
	if err := run([]string{"-template", "../../template.yaml", "-o", deployed,
		"-describe-stacks", "../../internal/devtools/samenv/testdata/describe-stacks.json",
		"-describe-stack-resources", "../../internal/devtools/samenv/testdata/describe-stack-resources.json"}); err != nil {
		t.Fatal(err)
	}

	for name, args := range map[string][]string{
		"no target":        {"-template", "../../template.yaml"},
		"two targets":      {"-local", "-stack", "x"},
		"half of the pair": {"-describe-stacks", "a.json"},
		"stray argument":   {"-local", "extra"},
	} {
		if err := run(args); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
