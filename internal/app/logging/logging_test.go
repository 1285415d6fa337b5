package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	tests := []struct {
		level     string
		debugSeen bool
		infoSeen  bool
		warning   bool
	}{
		{level: "", infoSeen: true},
		{level: "DEBUG", debugSeen: true, infoSeen: true},
		{level: "warn"},
		{level: "LOUD", infoSeen: true, warning: true},
	}
	for _, tt := range tests {
		t.Run(tt.level, func(t *testing.T) {
			var buf bytes.Buffer
			logger := New(&buf, tt.level)
			logger.Debug("debug line")
			logger.Info("info line")
			out := buf.String()
			if strings.Contains(out, "debug line") != tt.debugSeen || strings.Contains(out, "info line") != tt.infoSeen ||
				strings.Contains(out, "not understood") != tt.warning {
				t.Fatalf("level %q logged:\n%s", tt.level, out)
			}
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				if line != "" && !json.Valid([]byte(line)) {
					t.Errorf("not a JSON line: %s", line)
				}
			}
		})
	}
}
