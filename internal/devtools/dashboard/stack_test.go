package dashboard

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/stepgate/stepgate/internal/offline"
)

// startOfflineStack starts make local's stack on free ports from the real template and freshly
// built bootstraps, with the workflows' time 20 times faster.
func startOfflineStack(t *testing.T) *offline.Stack {
	t.Helper()
	root := filepath.Join("..", "..", "..")
	dir := t.TempDir()
	cmd := exec.Command("make", "--no-print-directory", "-C", root, "build", "BUILD_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	s, err := offline.Start(context.Background(), offline.Config{
		Template:        filepath.Join(root, "template.yaml"),
		BuildDir:        filepath.Join(dir, runtime.GOOS+"-"+runtime.GOARCH),
		APIAddr:         "127.0.0.1:0",
		AWSAddr:         "127.0.0.1:0",
		TimeScale:       20,
		TransitionDelay: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// requireRoutes fails the test, naming the route, when the stack lacks one the page needs: a
// missing route answers 403 (API Gateway's MissingAuthenticationToken) or 404 (the start
// function's NotFound), which the page would show only as an error card.
func requireRoutes(t *testing.T, s *offline.Stack, instanceID string) {
	t.Helper()
	for _, path := range []string{
		"/executions",
		"/executions/" + url.PathEscape("arn:aws:states:us-east-1:123456789012:execution:StandardStateMachine:none") + "/events",
		"/instances/" + instanceID,
	} {
		resp, err := http.Get(s.APIURL + path)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error string }
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		missing := resp.StatusCode == http.StatusForbidden ||
			(resp.StatusCode == http.StatusNotFound && body.Error != "ExecutionNotFound")
		if missing {
			t.Fatalf("the stack answers GET %s with %d %s: the page needs that route", path, resp.StatusCode, body.Error)
		}
	}
}

func TestBrowserAgainstOfflineStack(t *testing.T) {
	ctx := newBrowser(t)
	stack := startOfflineStack(t)
	instanceID := stack.InstanceIDs["ManagedInstance"]
	requireRoutes(t, stack, instanceID)

	srvCtx, stop := context.WithCancel(context.Background())
	defer stop()
	pageURL, _, err := Serve(srvCtx, "127.0.0.1:0", Config{APIURL: stack.APIURL, Auth: AuthNone, InstanceID: instanceID,
		StateMachines: stack.SFN})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the instance card shows stopped", nil, func(s pageState) bool { return s.Instance == "stopped" })

	highlighted, final := startFollowAndWatch(ctx, t)
	t.Logf("the graph highlighted %v; the timeline: %v", highlighted, final.Timeline)
	if !inOrder(highlighted, []string{"InitialWait", "Check", "Decide", "Start"}) || highlighted[0] != "InitialWait" {
		t.Errorf("the highlight moved through %v; want InitialWait, Check, Decide, Start in this order", highlighted)
	}
	for _, st := range []string{"InitialWait", "Check", "Decide", "Start"} {
		if !slices.Contains(final.Visited, st) {
			t.Errorf("%s not marked visited: %v", st, final.Visited)
		}
	}
	if len(final.Failed) != 0 || final.Current != "" {
		t.Errorf("after SUCCEEDED: failed %v, current %q", final.Failed, final.Current)
	}
	waitFor(ctx, t, "the instance card shows running", nil, func(s pageState) bool { return s.Instance == "running" })
	waitFor(ctx, t, "the execution is listed", nil, func(s pageState) bool { return s.Rows >= 1 })
	if out := os.Getenv("DASHBOARD_SCREENSHOT"); out != "" {
		screenshot(ctx, t, out)
	}
}
