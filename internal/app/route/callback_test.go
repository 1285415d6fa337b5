package route

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/stepgate/stepgate/internal/app/httpapi"
	"github.com/stepgate/stepgate/internal/tasktoken"
)

const approvalARN = "arn:aws:states:us-east-1:123456789012:stateMachine:stepgate_Approval"

// callbackDoc declares a callback route of each outcome and token source.
const callbackDoc = `{
  "routes": {
    "POST /tasks/approve": {"stateMachine": "` + approvalARN + `", "mode": "callback", "outcome": "success",
      "token": {"body": "taskToken"}, "input": {"body": true, "fixed": {"approved": true}}, "required": ["approver"],
      "fields": {"approver": {"pattern": "^[a-z]+$", "hint": "a user name in lower case"}}},
    "POST /tasks/{token}/reject": {"stateMachine": "` + approvalARN + `", "mode": "callback", "outcome": "failure",
      "token": {"path": "token"}, "input": {"body": true, "fixed": {"error": "Rejected"}}},
    "POST /tasks/heartbeat": {"stateMachine": "` + approvalARN + `", "mode": "callback", "outcome": "heartbeat",
      "token": {"query": "taskToken"}},
    "POST /tasks/{token}/done": {"stateMachine": "` + approvalARN + `", "mode": "callback", "outcome": "success",
      "token": {"path": "token"}, "input": {"query": ["note"]}}
  }
}`

func parseCallbacks(t *testing.T) *Config {
	t.Helper()
	cfg, err := Parse(callbackDoc, testEnv)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestParseCallbackRefuses(t *testing.T) {
	route := func(body string) string { return `{"routes": {"POST /x/{id}": ` + body + `}}` }
	cb := `"stateMachine": "` + approvalARN + `", "mode": "callback"`
	tests := []struct{ name, doc, want string }{
		{name: "no outcome", doc: route(`{` + cb + `, "token": {"body": "t"}, "input": {"body": true}}`), want: `outcome ""`},
		{name: "unknown outcome", doc: route(`{` + cb + `, "outcome": "approve", "token": {"body": "t"}, "input": {"body": true}}`), want: `outcome "approve"`},
		{name: "no token", doc: route(`{` + cb + `, "outcome": "success", "input": {"body": true}}`), want: `needs "token"`},
		{name: "empty token", doc: route(`{` + cb + `, "outcome": "success", "token": {}, "input": {"body": true}}`), want: `needs "token"`},
		{name: "two token sources", doc: route(`{` + cb + `, "outcome": "success", "token": {"body": "t", "query": "t"}, "input": {"body": true}}`), want: "one place only"},
		{name: "unknown token source", doc: route(`{` + cb + `, "outcome": "success", "token": {"header": "t"}, "input": {"body": true}}`), want: "header"},
		{name: "token path not a parameter", doc: route(`{` + cb + `, "outcome": "success", "token": {"path": "t"}, "input": {"body": true}}`), want: `token.path names "t"`},
		{name: "token also a path input", doc: route(`{` + cb + `, "outcome": "success", "token": {"path": "id"}, "input": {"path": ["id"]}}`), want: "secret"},
		{name: "token also a query input", doc: route(`{` + cb + `, "outcome": "success", "token": {"query": "t"}, "input": {"query": ["t"]}}`), want: "secret"},
		{name: "token also fixed", doc: route(`{` + cb + `, "outcome": "success", "token": {"body": "t"}, "input": {"fixed": {"t": "x"}}}`), want: "secret"},
		{name: "token required", doc: route(`{` + cb + `, "outcome": "success", "token": {"body": "t"}, "input": {"body": true}, "required": ["t"]}`), want: "secret"},
		{name: "success takes nothing", doc: route(`{` + cb + `, "outcome": "success", "token": {"body": "t"}}`), want: "input takes nothing"},
		{name: "heartbeat with input", doc: route(`{` + cb + `, "outcome": "heartbeat", "token": {"body": "t"}, "input": {"body": true}}`), want: "nothing but the token"},
		{name: "heartbeat with required", doc: route(`{` + cb + `, "outcome": "heartbeat", "token": {"body": "t"}, "required": ["a"]}`), want: "nothing but the token"},
		{name: "errors on a callback", doc: route(`{` + cb + `, "outcome": "failure", "token": {"body": "t"}, "errors": {"E": {"status": 409, "message": "m"}}}`), want: "starts none"},
		{name: "no state machine", doc: route(`{"mode": "callback", "outcome": "success", "token": {"body": "t"}, "input": {"body": true}}`), want: "state machine ARN"},
		{name: "state machine of another stack", doc: route(`{"stateMachine": "arn:aws:states:us-east-1:123456789012:stateMachine:Other", "mode": "callback",
			"outcome": "heartbeat", "token": {"body": "t"}}`), want: "not one of this stack's"},
		{name: "token on a sync route", doc: route(`{"stateMachine": "` + expressARN + `", "mode": "sync", "token": {"body": "t"}, "input": {"body": true}}`), want: "belong to"},
		{name: "outcome on an async route", doc: route(`{"stateMachine": "` + standardARN + `", "mode": "async", "outcome": "success", "input": {"body": true}}`), want: "belong to"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.doc, testEnv)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), `route "POST /x/{id}"`) && !strings.Contains(err.Error(), "unknown field") {
				t.Errorf("err = %v, want it to name the route", err)
			}
		})
	}
}

func TestParseCallback(t *testing.T) {
	cfg := parseCallbacks(t)
	for key, want := range map[string]Outcome{"POST /tasks/approve": Success, "POST /tasks/{token}/reject": Failure, "POST /tasks/heartbeat": Heartbeat} {
		r, ok := cfg.Route(key)
		if !ok || r.Mode != Callback || r.Outcome != want || r.StateMachine.String() != approvalARN {
			t.Errorf("%s: %+v, %v; want a %s callback of %s", key, r, ok, want, approvalARN)
		}
	}
	// A failure may take nothing but its token: SendTaskFailure without error or cause.
	if _, err := Parse(`{"routes": {"POST /x": {"stateMachine": "`+approvalARN+`", "mode": "callback", "outcome": "failure",
	  "token": {"body": "t"}}}}`, testEnv); err != nil {
		t.Errorf("a bare failure route: %v", err)
	}
}

func TestDescribeCallback(t *testing.T) {
	got := map[string]string{}
	for _, d := range parseCallbacks(t).Describe() {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		got[d.Method+" "+d.Path] = string(b)
	}
	want := `{"method":"POST","path":"/tasks/{token}/reject","mode":"callback","stateMachineArn":"` + approvalARN + `",` +
		`"outcome":"failure","token":{"from":"path","name":"token"},` +
		`"input":{"body":true,"path":[],"query":[],"fixed":{"error":"\"Rejected\""}},"required":[],"fields":[]}`
	// Fixed values are JSON text: compare through a decode.
	var w, g any
	_ = json.Unmarshal([]byte(strings.Replace(want, `"\"Rejected\""`, `"Rejected"`, 1)), &w)
	_ = json.Unmarshal([]byte(got["POST /tasks/{token}/reject"]), &g)
	if wb, gb := mustJSON(t, w), mustJSON(t, g); wb != gb {
		t.Errorf("reject route\n%s\nwant\n%s", gb, wb)
	}
	if hb := got["POST /tasks/heartbeat"]; !strings.Contains(hb, `"outcome":"heartbeat","token":{"from":"query","name":"taskToken"}`) {
		t.Errorf("heartbeat route %s", hb)
	}
	sync, _ := json.Marshal(parse(t).Describe()[0])
	if strings.Contains(string(sync), "outcome") || strings.Contains(string(sync), "token") {
		t.Errorf("a sync route describes callback fields: %s", sync)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuildReport(t *testing.T) {
	cfg := parseCallbacks(t)
	approve, _ := cfg.Route("POST /tasks/approve")
	reject, _ := cfg.Route("POST /tasks/{token}/reject")
	heartbeat, _ := cfg.Route("POST /tasks/heartbeat")
	done, _ := cfg.Route("POST /tasks/{token}/done")
	const token = "AQCEAAAAKgAAAAMAAAAA+b/c=="
	withQuery := func(body string, q map[string]string) *events.APIGatewayProxyRequest {
		req := request("POST", "", body)
		req.QueryStringParameters = q
		return req
	}
	big := `"` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"`
	tests := []struct {
		name       string
		route      *Route
		req        *events.APIGatewayProxyRequest
		params     map[string]string
		want       Report
		wantStatus int
		wantMsg    string
		noToken    bool // the request carries no token to name
	}{
		{name: "success from the body", route: approve, req: request("POST", "", `{"taskToken":"`+token+`","approver":"ada","note":"ok"}`),
			want: Report{Outcome: Success, Output: []byte(`{"approved":true,"approver":"ada","note":"ok"}`)}},
		{name: "success: the caller cannot change a fixed value", route: approve, req: request("POST", "", `{"taskToken":"`+token+`","approver":"ada","approved":false}`),
			want: Report{Outcome: Success, Output: []byte(`{"approved":true,"approver":"ada"}`)}},
		{name: "success: a field rule", route: approve, req: request("POST", "", `{"taskToken":"`+token+`","approver":"Ada"}`),
			wantStatus: 400, wantMsg: "a user name in lower case"},
		{name: "success: required field missing", route: approve, req: request("POST", "", `{"taskToken":"`+token+`"}`),
			wantStatus: 400, wantMsg: `"approver" is required`},
		{name: "no token", route: approve, req: request("POST", "", `{"approver":"ada"}`),
			wantStatus: 400, wantMsg: `send it as the body's field "taskToken"`, noToken: true},
		{name: "empty token", route: approve, req: request("POST", "", `{"taskToken":"","approver":"ada"}`),
			wantStatus: 400, wantMsg: "needs the waiting task's token", noToken: true},
		{name: "token not a string", route: approve, req: request("POST", "", `{"taskToken":12,"approver":"ada"}`),
			wantStatus: 400, wantMsg: "must be a string", noToken: true},
		{name: "body not JSON", route: approve, req: request("POST", "", `{"taskToken":`), wantStatus: 400, wantMsg: "JSON object", noToken: true},
		{name: "body not an object", route: approve, req: request("POST", "", `["x"]`), wantStatus: 400, wantMsg: "JSON object", noToken: true},
		{name: "body over 256 KiB", route: approve, req: request("POST", "", `{"taskToken":"`+token+`","approver":"ada","pad":`+big+`}`),
			wantStatus: 400, wantMsg: "larger than 262144 bytes", noToken: true},
		{name: "failure from the path", route: reject, req: request("POST", "", `{"cause":"Not in budget."}`), params: map[string]string{"token": "AQCEAAAAKgAAAAMAAAAA%2Bb%2Fc=="},
			want: Report{Outcome: Failure, Error: "Rejected", Cause: "Not in budget."}},
		{name: "failure: a cause that is not a string", route: reject, req: request("POST", "", `{"cause":{"why":["budget"]}}`), params: map[string]string{"token": token},
			want: Report{Outcome: Failure, Error: "Rejected", Cause: `{"why":["budget"]}`}},
		{name: "failure: no cause", route: reject, req: request("POST", "", `{}`), params: map[string]string{"token": token},
			want: Report{Outcome: Failure, Error: "Rejected"}},
		{name: "failure: cause too long", route: reject, req: request("POST", "", `{"cause":"`+strings.Repeat("é", maxCauseLength+1)+`"}`),
			params: map[string]string{"token": token}, wantStatus: 400, wantMsg: "at most 32768 characters"},
		{name: "failure: path token badly encoded", route: reject, req: request("POST", "", `{}`), params: map[string]string{"token": "AQ%zz"},
			wantStatus: 400, wantMsg: "percent-encoded", noToken: true},
		{name: "heartbeat from the query", route: heartbeat, req: withQuery(``, map[string]string{"taskToken": token}),
			want: Report{Outcome: Heartbeat}},
		{name: "heartbeat: no token", route: heartbeat, req: withQuery(``, nil),
			wantStatus: 400, wantMsg: `as the query parameter "taskToken"`, noToken: true},
		{name: "heartbeat: token given twice", route: heartbeat,
			req:        &events.APIGatewayProxyRequest{MultiValueQueryStringParameters: map[string][]string{"taskToken": {token, token}}},
			wantStatus: 400, wantMsg: "at most once", noToken: true},
		{name: "success from the path and query, body ignored", route: done, req: withQuery(`not JSON`, map[string]string{"note": "shipped"}),
			params: map[string]string{"token": token}, want: Report{Outcome: Success, Output: []byte(`{"note":"shipped"}`)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := tc.route.BuildReport(tc.req, tc.params)
			if !tc.noToken && rep.Token != strings.NewReplacer("%2B", "+", "%2F", "/").Replace(token) {
				t.Errorf("Token = %q, want the request's, also with an error", rep.Token)
			}
			if tc.wantStatus != 0 {
				var e *httpapi.Error
				if !errors.As(err, &e) || e.Status != tc.wantStatus || !strings.Contains(e.Message, tc.wantMsg) {
					t.Fatalf("err = %v, want %d with %q", err, tc.wantStatus, tc.wantMsg)
				}
				if strings.Contains(e.Message, token) {
					t.Errorf("the message holds the token: %s", e.Message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Outcome != tc.want.Outcome || string(rep.Output) != string(tc.want.Output) || rep.Error != tc.want.Error || rep.Cause != tc.want.Cause {
				t.Errorf("report %+v (output %s), want %+v (output %s)", rep, rep.Output, tc.want, tc.want.Output)
			}
			if strings.Contains(string(rep.Output), token) {
				t.Errorf("the output holds the token: %s", rep.Output)
			}
		})
	}
}

func TestRedactPath(t *testing.T) {
	cfg := parseCallbacks(t)
	reject, _ := cfg.Route("POST /tasks/{token}/reject")
	approve, _ := cfg.Route("POST /tasks/approve")
	hash := tasktoken.Hash("AQ+/=")
	for path, want := range map[string]string{
		"/v1/tasks/AQ%2B%2F%3D/reject":  "/v1/tasks/{token:" + hash + "}/reject",
		"/tasks/AQ%2B%2F%3D/reject/":    "/tasks/{token:" + hash + "}/reject/",
		"/base/x/tasks/AQ+%2F=/reject":  "/base/x/tasks/{token:" + hash + "}/reject",
		"/reject":                       "/tasks/{token}/reject",
		"/v1/tasks/approve?taskToken=x": "/v1/tasks/approve?taskToken=x", // the log's path never holds the query
	} {
		r := reject
		if strings.Contains(path, "approve") {
			r = approve
		}
		if got := r.RedactPath(path); got != want {
			t.Errorf("RedactPath(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestMatchHidesPathToken: a known path with another method is answered 405 naming the path; a
// path that holds a task token is named by its template instead.
func TestMatchHidesPathToken(t *testing.T) {
	const token = "AQCEAAAAKgAAAAMAAAAA"
	_, _, err := parseCallbacks(t).Match(proxy("GET", "/tasks/"+token+"/reject"))
	var e *httpapi.Error
	if !errors.As(err, &e) || e.Status != 405 || strings.Contains(e.Message, token) || !strings.Contains(e.Message, "/tasks/{token}/reject") {
		t.Fatalf("err = %v, want a 405 naming the template, not the token", err)
	}
}
