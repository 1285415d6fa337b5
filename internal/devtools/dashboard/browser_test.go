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
	Reads     map[string]string `json:"reads"` // a read card's key ("GET /path") → its headline value
	Tabs      []string          `json:"tabs"`  // the routes offered, as "METHOD /path"
	Results   map[string]result `json:"results"`
	Machine   string            `json:"machine"` // the followed execution's machine
	Current   string            `json:"current"`
	Status    string            `json:"status"`
	Visited   []string          `json:"visited"`
	Retried   []string          `json:"retried"`
	Failed    []string          `json:"failed"`
	Timeline  []string          `json:"timeline"`
	Errors    []string          `json:"errors"`
	Trail     []string          `json:"trail"`
	Rows      []row             `json:"rows"`
	GraphSize int               `json:"graphSize"`
	// Tasks are the followed execution's tasks waiting for a callback, as "state:tokenHash", and
	// Answers what each callback form shows of its last call, by its route.
	Tasks   []string          `json:"tasks"`
	Answers map[string]result `json:"answers"`
	Text    string            `json:"text"` // everything the page shows, for what it must not
}

// result is what a route's form shows of its last call.
type result struct {
	OK     string `json:"ok"`
	Status string `json:"status"`
	Text   string `json:"text"`
}

// row is one listed execution.
type row struct {
	Machine string `json:"machine"`
	Status  string `json:"status"`
}

// pageProbe is installed in the page (once per document): read() is the page state; changed(s)
// resolves once the page no longer shows s (a DOM mutation made it differ), so that a test waits
// on the page's own changes, never on a timer; watch() records every state the graph highlights,
// however briefly.
const pageProbe = `window.__probe = window.__probe || (() => {
  const all = (s) => Array.from(document.querySelectorAll(s));
  const read = () => {
    const cur = document.querySelector('#graph .node.current');
    const reads = {}, results = {};
    for (const c of all('.read')) reads[c.dataset.key] = c.querySelector('.headline').dataset.value || '';
    for (const r of all('.route-form .result')) {
      if (!r.hidden) results[r.dataset.route] = { ok: r.dataset.ok || '', status: r.dataset.status || '', text: r.textContent };
    }
    const answers = {};
    for (const r of all('.callback-form .result')) {
      if (!r.hidden) answers[r.dataset.route] = { ok: r.dataset.ok || '', status: r.dataset.status || '', text: r.textContent };
    }
    return JSON.stringify({
      reads, results,
      tabs: all('#route-tabs .tab').map((b) => b.dataset.route),
      machine: document.querySelector('#execution-machine').textContent,
      current: cur ? cur.dataset.state : '',
      status: document.querySelector('#execution-status').textContent,
      visited: all('#graph .node.visited').map((n) => n.dataset.state),
      retried: all('#graph .node.retried').map((n) => n.dataset.state),
      failed: all('#graph .node.failed').map((n) => n.dataset.state),
      timeline: all('#timeline li').map((li) => li.dataset.type + (li.dataset.state ? ':' + li.dataset.state : '')),
      errors: all('#errors .error').map((e) => e.textContent),
      trail: window.__trail || [],
      rows: all('#executions tbody tr').map((tr) => ({ machine: tr.dataset.machine, status: tr.dataset.status })),
      graphSize: all('#graph .node').length,
      tasks: all('#waiting-tasks .task').map((c) => c.dataset.state + ':' + c.dataset.tokenHash),
      answers,
      text: document.body.innerText,
    });
  };
  const changed = (before) => new Promise((resolve) => {
    const check = () => { if (read() !== before) { obs.disconnect(); resolve(true); } };
    const obs = new MutationObserver(check);
    obs.observe(document.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
    check();
  });
  const watch = () => {
    window.__trail = [];
    new MutationObserver(() => {
      const c = document.querySelector('#graph .node.current');
      const n = c ? c.dataset.state : '';
      if (n && window.__trail[window.__trail.length - 1] !== n) window.__trail.push(n);
    }).observe(document.getElementById('graph'), { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
    return true;
  };
  return { read, changed, watch };
})();`

func readRaw(ctx context.Context, t *testing.T) (string, pageState) {
	t.Helper()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](pageProbe+"__probe.read()"))
	if err != nil {
		t.Fatalf("read the page: %v", err)
	}
	var s pageState
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		t.Fatal(err)
	}
	return raw, s
}

// waitFor reads the page each time it changes until ok holds. It has no deadline of its own: the
// test's -timeout bounds it (less a margin, to report what the page shows rather than panic).
func waitFor(ctx context.Context, t *testing.T, what string, ok func(pageState) bool) pageState {
	t.Helper()
	wait := ctx
	if deadline, set := t.Deadline(); set {
		var cancel context.CancelFunc
		wait, cancel = context.WithDeadline(ctx, deadline.Add(-30*time.Second))
		defer cancel()
	}
	for {
		raw, s := readRaw(ctx, t)
		if ok(s) {
			return s
		}
		quoted, _ := json.Marshal(raw)
		if _, err := chromedp.Run(wait, chromedp.Evaluate[bool](pageProbe+"__probe.changed("+string(quoted)+")", chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("gave up waiting until %s (%v); the page shows %+v", what, err, s)
		}
	}
}

// watchHighlight starts recording the states the graph highlights (pageState.Trail).
func watchHighlight(ctx context.Context, t *testing.T) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](pageProbe+"__probe.watch()")); err != nil {
		t.Fatal(err)
	}
}

// callRoute fills route's form as a person would (its tab, then each field: a choice chosen, text
// typed) and submits it.
func callRoute(ctx context.Context, t *testing.T, route string, fields map[string]string) {
	t.Helper()
	form := `form[data-route="` + route + `"]`
	steps := []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS(`#route-tabs button[data-route="` + route + `"]`))}
	for name, value := range fields {
		sel := chromedp.CSS(form + ` [data-name="` + name + `"]`)
		if name == "" {
			sel = chromedp.CSS(form + ` [data-extra]`)
		}
		find := `document.querySelector('` + string(sel) + `')`
		kind, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(`+find+` || {}).tagName || ''`))
		if err != nil || kind == "" {
			t.Fatalf("%s has no field %q (%v)", route, name, err)
		}
		// An optional field is in a closed <details> until one opens it.
		steps = append(steps, chromedp.Evaluate[chromedp.Void](`{ const d = `+find+`.closest('details'); if (d && !d.open) d.querySelector('summary').click(); }`))
		if kind == "SELECT" {
			steps = append(steps, chromedp.SetValue(sel, value))
			continue
		}
		steps = append(steps, chromedp.Evaluate[chromedp.Void](find+`.value = ''`), chromedp.SendKeys(sel, value))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("call %s with %v: %v", route, fields, err)
	}
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

func ended(status string) func(pageState) bool {
	terminal := map[string]string{"SUCCEEDED": "ExecutionSucceeded", "ABORTED": "ExecutionAborted", "FAILED": "ExecutionFailed"}[status]
	return func(s pageState) bool {
		return s.Status == status && len(s.Timeline) > 0 && s.Timeline[len(s.Timeline)-1] == terminal
	}
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
	def, err := os.ReadFile(filepath.Join(repoRoot, "statemachines", "standard.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, stop := context.WithCancel(context.Background())
	defer stop()
	url, _, err := Serve(srvCtx, "127.0.0.1:0", Config{Stack: sampleStack(t, apiSrv.URL), StepFunctions: fakeDescriber{definition: string(def)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	const read = "GET /instances/" + testInstance
	// The first live read is throttled: the 429 is shown, then retried after Retry-After.
	waitFor(ctx, t, "the 429 is shown", func(s pageState) bool {
		return len(s.Errors) == 1 && strings.Contains(s.Errors[0], read+": 429 Throttled") && s.Reads[read] == ""
	})
	first := waitFor(ctx, t, "the read card shows stopped, the 429 gone", func(s pageState) bool {
		return s.Reads[read] == "stopped" && len(s.Errors) == 0
	})
	if want := []string{"POST /express-instance", "GET /instances/{instance_id}", "POST /standard-instance"}; !slices.Equal(first.Tabs, want) {
		t.Errorf("the page offers %v, want a form for each of %v", first.Tabs, want)
	}

	watchHighlight(ctx, t)
	callRoute(ctx, t, "POST /standard-instance", map[string]string{"action": "start"})
	final := waitFor(ctx, t, "the execution ends SUCCEEDED", ended("SUCCEEDED"))
	if !inOrder(final.Trail, []string{"InitialWait", "Normalize", "Check", "Decide", "Start"}) {
		t.Errorf("the highlight moved through %v", final.Trail)
	}
	var asl struct{ States map[string]any }
	if err := json.Unmarshal(def, &asl); err != nil {
		t.Fatal(err)
	}
	if final.GraphSize != len(asl.States) || final.Machine != "Standard" {
		t.Errorf("the graph has %d states of %q; the standard machine %d", final.GraphSize, final.Machine, len(asl.States))
	}
	if !slices.Contains(final.Retried, "Check") || len(final.Failed) != 0 || final.Current != "" {
		t.Errorf("marks: retried %v, failed %v, current %q", final.Retried, final.Failed, final.Current)
	}
	if !slices.Contains(final.Timeline, "TaskFailed") || final.Timeline[0] != "ExecutionStarted" {
		t.Errorf("timeline %v", final.Timeline)
	}
	if r := final.Results["POST /standard-instance"]; r.OK != "true" || r.Status != "202" {
		t.Errorf("the form shows %+v, want the 202", r)
	}
	waitFor(ctx, t, "the read card shows running", func(s pageState) bool { return s.Reads[read] == "running" })
	waitFor(ctx, t, "the execution is listed with its machine", func(s pageState) bool {
		return slices.Equal(s.Rows, []row{{"Standard", "SUCCEEDED"}})
	})

	// A 409 from a synchronous route is shown with its code and message; then its answer.
	callRoute(ctx, t, "POST /express-instance", map[string]string{"action": "toggle"})
	waitFor(ctx, t, "the 409 is shown", func(s pageState) bool {
		r := s.Results["POST /express-instance"]
		return r.OK == "false" && strings.Contains(r.Text, "409 InstanceInTransition") && strings.Contains(r.Text, "try again")
	})
	callRoute(ctx, t, "POST /express-instance", map[string]string{"action": "stop"})
	waitFor(ctx, t, "the synchronous answer is shown", func(s pageState) bool {
		r := s.Results["POST /express-instance"]
		return r.OK == "true" && r.Status == "200" && strings.Contains(r.Text, `"current_state": "stopped"`)
	})

	// A second asynchronous run, stopped from the page in Check: ABORTED, the state it was in
	// marked failed.
	api.mu.Lock()
	api.instance = "stopped"
	api.pauseAt = "Check"
	api.mu.Unlock()
	callRoute(ctx, t, "POST /standard-instance", map[string]string{"action": "start"})
	waitFor(ctx, t, "the second run is followed into Check", func(s pageState) bool {
		return s.Status == "RUNNING" && s.Current == "Check"
	})
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#stop-execution`))); err != nil {
		t.Fatal(err)
	}
	aborted := waitFor(ctx, t, "the run ends ABORTED", ended("ABORTED"))
	if !slices.Equal(aborted.Failed, []string{"Check"}) || aborted.Current != "" {
		t.Errorf("after ABORTED: failed %v, current %q", aborted.Failed, aborted.Current)
	}

	// The API goes down: the page says so rather than freezing.
	apiSrv.Close()
	waitFor(ctx, t, "the API being down is shown", func(s pageState) bool {
		return slices.ContainsFunc(s.Errors, func(e string) bool { return strings.Contains(e, "502 ApiUnreachable") })
	})
}
