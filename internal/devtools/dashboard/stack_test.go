package dashboard

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/chromedp/chromedp"

	"github.com/stepgate/stepgate/internal/devtools/routereader"
	"github.com/stepgate/stepgate/internal/offline"
	"github.com/stepgate/stepgate/internal/tasktoken"
)

// buildDir holds the bootstraps `make build` made for this package's tests, once.
var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// startOfflineStack starts make local's stack from the template at path on free ports, with
// freshly built bootstraps and the workflows' time 20 times faster, and serves the dashboard in
// front of it as make local does; it returns the page's URL.
func startOfflineStack(t *testing.T, template string, mutate ...func(*offline.Config)) (*offline.Stack, string) {
	t.Helper()
	buildOnce.Do(func() {
		if buildDir, buildErr = os.MkdirTemp("", "dashboard-build-"); buildErr != nil {
			return
		}
		out, err := exec.Command("make", "--no-print-directory", "-C", repoRoot, "build", "BUILD_DIR="+buildDir).CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, out}
		}
	})
	if buildErr != nil {
		t.Fatalf("make build: %v", buildErr)
	}
	cfg := offline.Config{
		Template:        template,
		BuildDir:        filepath.Join(buildDir, runtime.GOOS+"-"+runtime.GOARCH),
		APIAddr:         "127.0.0.1:0",
		AWSAddr:         "127.0.0.1:0",
		TimeScale:       20,
		TransitionDelay: 300 * time.Millisecond,
		Routes:          routereader.Read,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := offline.Start(context.Background(), cfg)
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
	st, err := FromOffline(s)
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, stop := context.WithCancel(context.Background())
	t.Cleanup(stop)
	pageURL, _, err := Serve(srvCtx, "127.0.0.1:0", Config{Stack: st, StepFunctions: s.SFN})
	if err != nil {
		t.Fatal(err)
	}
	return s, pageURL
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + string(e.out) }

// TestBrowserAgainstOfflineStack: the sample stack through make local's stack, as a person uses
// it: the live read of GET /instances/{instance_id} (its one allowed value), the form of POST
// /standard-instance, the execution followed live through its machine's graph and the events
// route, the read following what the workflow did.
func TestBrowserAgainstOfflineStack(t *testing.T) {
	ctx := newBrowser(t)
	stack, pageURL := startOfflineStack(t, filepath.Join(repoRoot, "template.yaml"))
	read := "GET /instances/" + stack.InstanceIDs["ManagedInstance"]
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the read card shows stopped", func(s pageState) bool { return s.Reads[read] == "stopped" })

	watchHighlight(ctx, t)
	callRoute(ctx, t, "POST /standard-instance", map[string]string{"action": "start"})
	final := waitFor(ctx, t, "the execution ends SUCCEEDED", ended("SUCCEEDED"))
	t.Logf("the graph highlighted %v; the timeline: %v", final.Trail, final.Timeline)
	if !inOrder(final.Trail, []string{"InitialWait", "Check", "Decide", "Start"}) || final.Trail[0] != "InitialWait" {
		t.Errorf("the highlight moved through %v; want InitialWait, Check, Decide, Start in this order", final.Trail)
	}
	for _, st := range []string{"InitialWait", "Check", "Decide", "Start"} {
		if !slices.Contains(final.Visited, st) {
			t.Errorf("%s not marked visited: %v", st, final.Visited)
		}
	}
	if len(final.Failed) != 0 || final.Current != "" || final.Machine != "Standard" {
		t.Errorf("after SUCCEEDED: failed %v, current %q, machine %q", final.Failed, final.Current, final.Machine)
	}
	waitFor(ctx, t, "the read card shows running", func(s pageState) bool { return s.Reads[read] == "running" })
	waitFor(ctx, t, "the execution is listed with its machine", func(s pageState) bool {
		return slices.Contains(s.Rows, row{"Standard", "SUCCEEDED"})
	})
	if out := os.Getenv("DASHBOARD_SCREENSHOT"); out != "" {
		screenshot(ctx, t, out)
	}
}

// TestBrowserAgainstYourWorkflow: a stack with workflows of its own (README "Add your workflow":
// a sync JSONata route with a field rule and an error of its own, an async route) gets its forms
// and its live executions from its declaration alone.
func TestBrowserAgainstYourWorkflow(t *testing.T) {
	ctx := newBrowser(t)
	_, pageURL := startOfflineStack(t, readmeTemplate(t))
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	first := waitFor(ctx, t, "the forms are built", func(s pageState) bool { return len(s.Tabs) > 0 })
	for _, route := range []string{"POST /quotes", "POST /reports"} {
		if !slices.Contains(first.Tabs, route) {
			t.Errorf("no form for %s: the page offers %v", route, first.Tabs)
		}
	}

	callRoute(ctx, t, "POST /quotes", map[string]string{"item": "ABC-123", "quantity": "3"})
	quote := waitFor(ctx, t, "the quote is shown", func(s pageState) bool { return s.Results["POST /quotes"].Status == "200" })
	var answer struct {
		Total float64 `json:"total"`
	}
	text := quote.Results["POST /quotes"].Text
	if err := json.Unmarshal([]byte(text[strings.Index(text, "{"):]), &answer); err != nil || answer.Total != 7.5 {
		t.Errorf("the form shows %q, want the workflow's output with total 7.5 (%v)", text, err)
	}
	callRoute(ctx, t, "POST /quotes", map[string]string{"quantity": "500"})
	waitFor(ctx, t, "the route's own error is shown", func(s pageState) bool {
		r := s.Results["POST /quotes"]
		return r.OK == "false" && strings.Contains(r.Text, "422 QuantityTooLarge") && strings.Contains(r.Text, "At most 100 of ABC-123 per order.")
	})

	watchHighlight(ctx, t)
	callRoute(ctx, t, "POST /reports", map[string]string{"customer": "ada", "": `{"note": "from the dashboard"}`})
	final := waitFor(ctx, t, "the report ends SUCCEEDED", ended("SUCCEEDED"))
	if final.Machine != "Report" || final.GraphSize != 2 || !slices.Equal(final.Visited, []string{"Gather", "Write"}) ||
		!inOrder(final.Trail, []string{"Gather"}) {
		t.Errorf("followed %q: %d states, visited %v, highlighted %v; want Report's Gather then Write", final.Machine, final.GraphSize, final.Visited, final.Trail)
	}
	waitFor(ctx, t, "the report is listed with its machine", func(s pageState) bool {
		return slices.Contains(s.Rows, row{"Report", "SUCCEEDED"})
	})
}

// answerTask fills the form of the waiting task's callback route with outcome (success, failure,
// heartbeat) as a person would, and presses its button (Approve, Reject, Heartbeat).
func answerTask(ctx context.Context, t *testing.T, outcome string, fields map[string]string) {
	t.Helper()
	form := `#waiting-tasks form[data-outcome="` + outcome + `"]`
	var steps []chromedp.Action[chromedp.Void]
	for name, value := range fields {
		sel := chromedp.CSS(form + ` [data-name="` + name + `"]`)
		steps = append(steps, chromedp.Evaluate[chromedp.Void](`document.querySelector('`+string(sel)+`').value = ''`), chromedp.SendKeys(sel, value))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(form+` button[type="submit"]`)))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("answer the task (%s) with %v: %v", outcome, fields, err)
	}
}

// TestBrowserApprovesTheApprovalExample: examples/approval through make local's stack and the
// page, as an approver uses it: a request started from its form waits in AskApprover, the page
// shows the waiting task (its token only as its hash) with a form per callback route, and
// Heartbeat, then Approve, resume it; a second request is rejected the same way.
func TestBrowserApprovesTheApprovalExample(t *testing.T) {
	ctx := newBrowser(t)
	dir := filepath.Join(repoRoot, "examples", "approval")
	stack, pageURL := startOfflineStack(t, filepath.Join(dir, "template.yaml"), func(c *offline.Config) {
		c.MockConfig = filepath.Join(dir, "MockConfigFile.json")
		c.MockTestCases = map[string]string{"stepgate_Notify": "SendNothing"}
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(pageURL)); err != nil {
		t.Fatal(err)
	}
	first := waitFor(ctx, t, "the forms are built", func(s pageState) bool { return len(s.Tabs) > 0 })
	if !slices.Equal(first.Tabs, []string{"POST /approvals"}) {
		t.Errorf("the page offers %v; want the start route only (callback routes answer tasks)", first.Tabs)
	}
	waitingTask := func(s pageState) bool { return len(s.Tasks) == 1 && strings.HasPrefix(s.Tasks[0], "AskApprover:") }
	request := func(id string) string {
		t.Helper()
		callRoute(ctx, t, "POST /approvals", map[string]string{"request_id": id, "requester": "ada", "amount": "250"})
		s := waitFor(ctx, t, id+" waits for an approver, its task shown", waitingTask)
		arn := s.Results["POST /approvals"].Text
		arn = arn[strings.Index(arn, "arn:"):]
		token := waitingToken(t, stack, arn)
		if want := "AskApprover:" + tasktoken.Hash(token); s.Tasks[0] != want {
			t.Errorf("the page shows the task %s, want %s", s.Tasks[0], want)
		}
		if strings.Contains(s.Text, token) {
			t.Error("the page shows the task token")
		}
		return arn
	}

	approved := request("req-7")
	if out := os.Getenv("DASHBOARD_APPROVAL_SCREENSHOT"); out != "" {
		screenshot(ctx, t, out)
	}
	answerTask(ctx, t, "heartbeat", nil)
	waitFor(ctx, t, "the heartbeat is answered", func(s pageState) bool {
		return s.Answers["POST /approvals/heartbeat"].Status == "200" && len(s.Tasks) == 1 && s.Status == "RUNNING"
	})
	answerTask(ctx, t, "success", map[string]string{"approver": "grace"})
	done := waitFor(ctx, t, "the approved request ends SUCCEEDED, no task waiting", func(s pageState) bool {
		return ended("SUCCEEDED")(s) && len(s.Tasks) == 0
	})
	if !slices.Equal(done.Visited, []string{"AskApprover"}) {
		t.Errorf("visited %v, want AskApprover only", done.Visited)
	}
	sameOutput(t, stack, approved, `{"request_id":"req-7","status":"APPROVED","approver":"grace"}`)

	rejected := request("req-8")
	answerTask(ctx, t, "failure", map[string]string{"cause": "over budget"})
	done = waitFor(ctx, t, "the rejected request ends SUCCEEDED through Rejected", func(s pageState) bool {
		return ended("SUCCEEDED")(s) && len(s.Tasks) == 0 && slices.Contains(s.Visited, "Rejected")
	})
	sameOutput(t, stack, rejected, `{"request_id":"req-8","status":"REJECTED","reason":"over budget"}`)
	if len(done.Errors) != 0 {
		t.Errorf("the page shows errors: %v", done.Errors)
	}
}

// waitingToken is the token of execution arn's waiting task, from its history on the local endpoint.
func waitingToken(t *testing.T, s *offline.Stack, arn string) string {
	t.Helper()
	out, err := s.SFN.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	tasks := waitingTasks(out.Events)
	if len(tasks) != 1 {
		t.Fatalf("%s: waiting tasks %+v", arn, tasks)
	}
	return tasks[0].Token
}

func sameOutput(t *testing.T, s *offline.Stack, arn, want string) {
	t.Helper()
	out, err := s.SFN.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	var got, w any
	if err := json.Unmarshal([]byte(aws.ToString(out.Output)), &got); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(want), &w)
	if !reflect.DeepEqual(got, w) {
		t.Errorf("%s output %s, want %s", arn, aws.ToString(out.Output), want)
	}
}
