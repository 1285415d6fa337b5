package dashboard

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/stepgate/stepgate/internal/devtools/testenv"
)

// newBrowser starts a headless Chromium for one test. Without Chromium the test is skipped, except
// in CI, where .ci/run installs it and its absence is a failure (package testenv).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := testenv.MustHaveExecPath(t, testenv.Chromium)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in containers
		chromedp.Headless,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1100),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// A script error on the page fails the test.
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			t.Errorf("page threw at %s:%d: %s", d.URL, d.LineNumber+1, msg)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// pageState is what the page shows, read from the DOM.
type pageState struct {
	Instance  string   `json:"instance"`
	Current   string   `json:"current"`
	Status    string   `json:"status"`
	Visited   []string `json:"visited"`
	Retried   []string `json:"retried"`
	Failed    []string `json:"failed"`
	Timeline  []string `json:"timeline"`
	Errors    []string `json:"errors"`
	Result    string   `json:"result"`
	ResultOK  string   `json:"resultOk"`
	Trail     []string `json:"trail"`
	Rows      int      `json:"rows"`
	GraphSize int      `json:"graphSize"`
}

const readPage = `(() => {
  const all = (s) => Array.from(document.querySelectorAll(s));
  const cur = document.querySelector('#graph .node.current');
  const res = document.querySelector('#result');
  return {
    instance: document.querySelector('#instance-state').dataset.state,
    current: cur ? cur.dataset.state : '',
    status: document.querySelector('#execution-status').textContent,
    visited: all('#graph .node.visited').map((n) => n.dataset.state),
    retried: all('#graph .node.retried').map((n) => n.dataset.state),
    failed: all('#graph .node.failed').map((n) => n.dataset.state),
    timeline: all('#timeline li').map((li) => li.dataset.type + (li.dataset.state ? ':' + li.dataset.state : '')),
    errors: all('#errors .error').map((e) => e.textContent),
    result: res.hidden ? '' : res.textContent,
    resultOk: res.dataset.ok || '',
    trail: window.__trail || [],
    rows: all('#executions tbody tr').length,
    graphSize: all('#graph .node').length,
  };
})()`

func read(ctx context.Context, t *testing.T) pageState {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[pageState](readPage))
	if err != nil {
		t.Fatalf("read the page: %v", err)
	}
	return s
}

// waitFor polls the page until ok holds, calling each to watch it on the way. It has no deadline of
// its own (the test's -timeout bounds it), so a slow machine makes it wait longer, never fail.
func waitFor(ctx context.Context, t *testing.T, what string, each func(pageState), ok func(pageState) bool) pageState {
	t.Helper()
	for {
		s := read(ctx, t)
		if each != nil {
			each(s)
		}
		if ok(s) {
			return s
		}
		if t.Context().Err() != nil {
			t.Fatalf("gave up waiting until %s; the page shows %+v", what, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// watchHighlight records, in the page, every state the graph highlights, however briefly: a
// sampler from outside can miss a state shown for 100 ms on a busy machine.
const watchHighlight = `(() => {
  window.__trail = [];
  new MutationObserver(() => {
    const c = document.querySelector('#graph .node.current');
    const n = c ? c.dataset.state : '';
    if (n && window.__trail[window.__trail.length - 1] !== n) window.__trail.push(n);
  }).observe(document.getElementById('graph'), { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
  return true;
})()`

// startFollowAndWatch presses the standard route's Start and follows the page until the execution
// ends; it returns the states the graph highlighted, in order, and the final page.
func startFollowAndWatch(ctx context.Context, t *testing.T) ([]string, pageState) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](watchHighlight)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-route="standard"][data-action="start"]`))); err != nil {
		t.Fatal(err)
	}
	final := waitFor(ctx, t, "the execution ends SUCCEEDED", nil, func(s pageState) bool {
		return s.Status == "SUCCEEDED" && len(s.Timeline) > 0 && s.Timeline[len(s.Timeline)-1] == "ExecutionSucceeded"
	})
	return final.Trail, final
}

// inOrder reports whether want appears in got in this order (others may come between).
func inOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

func screenshot(ctx context.Context, t *testing.T, path string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

func TestBrowserAgainstFakeAPI(t *testing.T) {
	ctx := newBrowser(t)
	api := newFakeAPI(120 * time.Millisecond)
	api.throttle = 1
	apiSrv := httptest.NewServer(api.Handler())
	defer apiSrv.Close()
	def, err := os.ReadFile(filepath.Join("..", "..", "..", "statemachines", "standard.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, stop := context.WithCancel(context.Background())
	defer stop()
	url, _, err := Serve(srvCtx, "127.0.0.1:0", Config{APIURL: apiSrv.URL, Auth: AuthNone, InstanceID: testInstance,
		StateMachines: fakeDescriber{definition: string(def)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	// The first read of the instance is throttled: the 429 is shown, then retried after Retry-After.
	waitFor(ctx, t, "the 429 is shown", nil, func(s pageState) bool {
		return len(s.Errors) == 1 && strings.Contains(s.Errors[0], "Instance state: 429 Throttled") && s.Instance == "unknown"
	})
	waitFor(ctx, t, "the instance card shows stopped, the 429 gone", nil, func(s pageState) bool {
		return s.Instance == "stopped" && len(s.Errors) == 0
	})

	highlighted, final := startFollowAndWatch(ctx, t)
	if !inOrder(highlighted, []string{"InitialWait", "Normalize", "Check", "Decide", "Start"}) {
		t.Errorf("the highlight moved through %v", highlighted)
	}
	var asl struct{ States map[string]any }
	if err := json.Unmarshal(def, &asl); err != nil {
		t.Fatal(err)
	}
	if final.GraphSize != len(asl.States) {
		t.Errorf("the graph has %d states, the standard machine %d", final.GraphSize, len(asl.States))
	}
	if !slices.Contains(final.Retried, "Check") || len(final.Failed) != 0 || final.Current != "" {
		t.Errorf("marks: retried %v, failed %v, current %q", final.Retried, final.Failed, final.Current)
	}
	if !slices.Contains(final.Timeline, "TaskFailed") || final.Timeline[0] != "ExecutionStarted" {
		t.Errorf("timeline %v", final.Timeline)
	}
	waitFor(ctx, t, "the instance card shows running", nil, func(s pageState) bool { return s.Instance == "running" })
	waitFor(ctx, t, "the execution is listed", nil, func(s pageState) bool { return s.Rows == 1 })
	if out := os.Getenv("DASHBOARD_SCREENSHOT"); out != "" {
		screenshot(ctx, t, out)
	}

	// A 409 from the express route is shown with its code and message.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-route="express"][data-action="toggle"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the 409 is shown", nil, func(s pageState) bool {
		return s.ResultOK == "false" && strings.Contains(s.Result, "409 InstanceInTransition") && strings.Contains(s.Result, "try again")
	})
	// The express route's answer is shown.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-route="express"][data-action="stop"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the express result is shown", nil, func(s pageState) bool {
		return s.ResultOK == "true" && strings.Contains(s.Result, "running → stopped")
	})

	// A second standard run, stopped from the page in Check: ABORTED, the state it was in marked failed.
	api.mu.Lock()
	api.instance = "stopped"
	api.pauseAt = "Check"
	api.mu.Unlock()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button[data-route="standard"][data-action="start"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the second run is followed into Check", nil, func(s pageState) bool {
		return s.Status == "RUNNING" && s.Current == "Check"
	})
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#stop-execution`))); err != nil {
		t.Fatal(err)
	}
	aborted := waitFor(ctx, t, "the run ends ABORTED", nil, func(s pageState) bool {
		return s.Status == "ABORTED" && len(s.Timeline) > 0 && s.Timeline[len(s.Timeline)-1] == "ExecutionAborted"
	})
	if !slices.Equal(aborted.Failed, []string{"Check"}) || aborted.Current != "" {
		t.Errorf("after ABORTED: failed %v, current %q", aborted.Failed, aborted.Current)
	}

	// The API goes down: the page says so rather than freezing.
	apiSrv.Close()
	waitFor(ctx, t, "the API being down is shown", nil, func(s pageState) bool {
		for _, e := range s.Errors {
			if strings.Contains(e, "502 ApiUnreachable") {
				return true
			}
		}
		return false
	})
}
