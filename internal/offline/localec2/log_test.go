package localec2

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRequestsAreLogged(t *testing.T) {
	var logs bytes.Buffer
	clock := newFakeClock()
	e := New(Config{TransitionDelay: time.Second, Clock: clock, Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if _, err := e.AddInstance(InstanceSpec{ID: stoppedID, State: StateStopped}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	resp, err := http.PostForm(srv.URL, url.Values{"Action": {"StartInstances"}, "InstanceId.1": {stoppedID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	clock.Advance(time.Second)
	// Transitions settle when read: the change is logged on the first read
	// after it happened, with the time it happened.
	if in, _ := e.Instance(stoppedID); in.State != StateRunning {
		t.Fatalf("state %s after the delay, want running", in.State)
	}
	if _, err := e.Call(context.Background(), "describeInstances", json.RawMessage(`{"InstanceIds":["i-0fffffffffffffff0"]}`)); err == nil {
		t.Fatal("describing an unknown instance succeeded")
	}

	var records []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		records = append(records, r)
	}
	want := []struct{ msg, level, key, value string }{
		{"ec2 instance state changed", "INFO", "to", "pending"},
		{"ec2 request", "DEBUG", "action", "StartInstances"},
		{"ec2 instance state changed", "INFO", "to", "running"},
		{"ec2 request", "WARN", "action", "describeInstances"},
	}
	if len(records) != len(want) {
		t.Fatalf("%d log records, want %d:\n%s", len(records), len(want), logs.String())
	}
	for i, w := range want {
		r := records[i]
		if r["msg"] != w.msg || r["level"] != w.level || r[w.key] != w.value {
			t.Errorf("record %d = %v, want %s/%s with %s=%s", i, r, w.msg, w.level, w.key, w.value)
		}
		if w.value == "running" && r["at"] != clock.Now().Format(time.RFC3339Nano) {
			t.Errorf("record %d: at = %v, want %s", i, r["at"], clock.Now().Format(time.RFC3339Nano))
		}
		if w.msg == "ec2 request" && r["requestId"] == "" {
			t.Errorf("record %d has no requestId", i)
		}
	}
}
