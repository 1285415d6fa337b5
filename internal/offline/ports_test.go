package offline_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepgate/stepgate/internal/offline"
)

// The default ports are written down in several places a newcomer reads; they all follow the code.
func TestDocumentedPorts(t *testing.T) {
	for file, addrs := range map[string][]string{
		"README.md":            {offline.DefaultAPIAddr, offline.DefaultAWSAddr},
		"Makefile":             {offline.DefaultAPIAddr, offline.DefaultAWSAddr},
		"docs/architecture.md": {offline.DefaultAPIAddr, offline.DefaultAWSAddr},
		"docs/openapi.yaml":    {"url: http://" + offline.DefaultAPIAddr},
	} {
		b, err := os.ReadFile(filepath.Join(repoRoot, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			if !strings.Contains(string(b), a) {
				t.Errorf("%s does not mention %s, the default", file, a)
			}
		}
	}
}
