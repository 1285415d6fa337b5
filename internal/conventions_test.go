package internal_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestOneWayToDoEachThing keeps STYLE.md point 11 in the non-test code: one failure type, one
// clock, one time format, one set of log keys, one ARN parser, one random-hex helper. Each rule
// names the one place the thing lives.
func TestOneWayToDoEachThing(t *testing.T) {
	rules := []struct {
		what    string
		pattern *regexp.Regexp
		allowed string // the one file (or folder, ending in /) where the pattern may appear
	}{
		{"a failure type other than asl.Failure", regexp.MustCompile(`type Failure struct`), "internal/offline/asl/errors.go"},
		{"a clock other than clock.Clock", regexp.MustCompile(`\bfunc\(\) time\.Time\b`), "internal/clock/"},
		{"a time layout other than clock.TimeFormat", regexp.MustCompile(`"2006-01-02T15:04:05`), "internal/clock/"},
		{"a log key other than duration and error", regexp.MustCompile(`"(elapsed|durationMs|err)"[,)]`), ""},
		{"an ARN split by hand instead of aws/arn", regexp.MustCompile(`strings\.\w+\(\w*(?i:arn)\w*, ":"`), ""},
		{"a random-hex helper other than awsid.Hex", regexp.MustCompile(`func randomHex\b|hex\.EncodeToString\(\w+\)\[:n\]`), "internal/offline/awsid/"},
	}
	files := 0
	for _, root := range []string{"../functions", "../internal", "../cmd"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") ||
				strings.Contains(path, "/testdata/") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			rel := strings.TrimPrefix(filepath.ToSlash(path), "../")
			for _, r := range rules {
				if r.allowed != "" && (rel == r.allowed || strings.HasSuffix(r.allowed, "/") && strings.HasPrefix(rel, r.allowed)) {
					continue
				}
				for i, line := range strings.Split(string(data), "\n") {
					if r.pattern.MatchString(line) {
						t.Errorf("%s:%d: %s: %s", rel, i+1, r.what, strings.TrimSpace(line))
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 50 {
		t.Fatalf("read %d files; expected the whole tree", files)
	}
}
