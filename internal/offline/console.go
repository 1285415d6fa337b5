package offline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	awsarn "github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/stepgate/stepgate/internal/offline/asl"
)

// console is what a person watching `make local` reads: at the default level one line per HTTP
// request, one per state a workflow enters (Pass and Choice states only with -v), one per EC2
// state change and per finished execution, and the functions' warnings and errors, each when it
// happens. Everything else (every AWS API call, the functions' own log lines) is at debug level,
// shown with -v. The text form shortens execution ARNs to machine/name and rounds durations; the
// JSON form (-log-format json) keeps every field whole, one object a line, for machines.
type console struct {
	logger *slog.Logger
	starts sync.Map // execution ARN → start time, for the finished line's duration
}

func newConsole(w io.Writer, level slog.Level, format string) (*console, error) {
	if w == nil {
		w = io.Discard
	}
	// One lock for everything that writes to the console: the services' logs and the functions'.
	out := SyncWriter(w)
	var h slog.Handler
	switch format {
	case "", "text":
		h = &textHandler{out: out, level: level}
	case "json":
		h = slog.NewJSONHandler(out, &slog.HandlerOptions{Level: level})
	default:
		return nil, fmt.Errorf("log format %q: want text or json", format)
	}
	return &console{logger: slog.New(h)}, nil
}

// executionEvent puts a workflow's progress on the console (localsfn.Config.OnExecutionEvent).
func (c *console) executionEvent(executionARN string, ev asl.HistoryEvent) {
	level := slog.LevelDebug
	attrs := []slog.Attr{slog.String("executionArn", executionARN), slog.String("event", ev.Type)}
	switch {
	case ev.Type == "ExecutionStarted":
		level = slog.LevelInfo
		c.starts.Store(executionARN, ev.Timestamp)
	case strings.HasPrefix(ev.Type, "Execution"):
		level = slog.LevelInfo
		if start, ok := c.starts.LoadAndDelete(executionARN); ok {
			attrs = append(attrs, slog.Duration("duration", ev.Timestamp.Sub(start.(time.Time))))
		}
		if d := ev.ExecutionFailedEventDetails; d != nil {
			attrs = append(attrs, slog.String("error", d.Error))
		}
	case ev.StateEnteredEventDetails != nil:
		attrs = append(attrs, slog.String("state", ev.StateEnteredEventDetails.Name))
		// Pass and Choice states only move data and branch: with -v.
		if ev.Type != "PassStateEntered" && ev.Type != "ChoiceStateEntered" {
			level = slog.LevelInfo
		}
	case ev.StateExitedEventDetails != nil:
		attrs = append(attrs, slog.String("state", ev.StateExitedEventDetails.Name))
	}
	if !c.logger.Enabled(context.Background(), level) {
		return
	}
	c.logger.LogAttrs(context.Background(), level, "execution", append(attrs, slog.String("service", "states"))...)
}

// functionLog receives the functions' output, a "[LogicalId] " prefix and one line a write
// (locallambda's line sink). Their JSON lines at INFO or DEBUG are for -v; warnings, errors and
// anything that is not a JSON log line (a panic's trace) always show.
func (c *console) functionLog() io.Writer { return functionLines{c} }

type functionLines struct{ c *console }

func (f functionLines) Write(p []byte) (int, error) {
	line := bytes.TrimRight(p, "\n")
	function := ""
	if rest, ok := bytes.CutPrefix(line, []byte("[")); ok {
		if name, text, ok := bytes.Cut(rest, []byte("] ")); ok {
			function, line = string(name), text
		}
	}
	level := slog.LevelInfo
	var record struct {
		Level string `json:"level"`
	}
	var value slog.Attr
	if json.Unmarshal(line, &record) == nil && record.Level != "" {
		if l := strings.ToUpper(record.Level); l == "INFO" || l == "DEBUG" {
			level = slog.LevelDebug
		} else if l == "WARN" || l == "WARNING" {
			level = slog.LevelWarn
		} else {
			level = slog.LevelError
		}
		value = slog.Any("log", json.RawMessage(bytes.Clone(line)))
	} else {
		value = slog.String("log", string(line))
	}
	ctx := context.Background()
	if f.c.logger.Enabled(ctx, level) {
		f.c.logger.LogAttrs(ctx, level, "function", slog.String("function", function), value)
	}
	return len(p), nil
}

// textHandler renders the console for people. It is an slog.Handler so that every service logs
// structured records and the JSON form needs nothing of its own.
type textHandler struct {
	out   io.Writer
	level slog.Level
	attrs []slog.Attr
}

func (h *textHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *textHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &textHandler{out: h.out, level: h.level, attrs: append(append([]slog.Attr{}, h.attrs...), attrs...)}
}

// WithGroup is not used by the stack; groups are flattened.
func (h *textHandler) WithGroup(string) slog.Handler { return h }

func (h *textHandler) Handle(_ context.Context, r slog.Record) error {
	fields := make(map[string]slog.Value, r.NumAttrs()+len(h.attrs))
	var order []string
	add := func(a slog.Attr) {
		if _, seen := fields[a.Key]; !seen {
			order = append(order, a.Key)
		}
		fields[a.Key] = a.Value.Resolve()
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(func(a slog.Attr) bool { add(a); return true })
	str := func(k string) string {
		if v, ok := fields[k]; ok {
			delete(fields, k)
			if raw, ok := v.Any().(json.RawMessage); ok {
				return string(raw)
			}
			return v.String()
		}
		return ""
	}

	var b strings.Builder
	b.WriteString(r.Time.Format("15:04:05.000"))
	b.WriteByte(' ')
	if r.Level >= slog.LevelWarn {
		b.WriteString(r.Level.String())
		b.WriteByte(' ')
	}
	service := str("service")
	switch {
	case r.Message == "request" && service == "api":
		// POST /express-instance 200 217ms ExpressStateMachine/3e20ac03
		path := str("resource")
		if path == "" {
			path = str("path")
		}
		fmt.Fprintf(&b, "%s %s %s %s", str("method"), path, str("status"), readableValue(fields["duration"]))
		delete(fields, "duration")
		delete(fields, "path")
		if arn := str("executionArn"); arn != "" {
			b.WriteString(" " + ShortExecution(arn))
		}
		delete(fields, "requestId")
		delete(fields, "function")
	case r.Message == "execution":
		// ExpressStateMachine/3e20ac03 → Check; … SUCCEEDED in 109ms
		b.WriteString(ShortExecution(str("executionArn")))
		event := str("event")
		switch state := str("state"); {
		case state != "" && strings.HasSuffix(event, "Entered"):
			b.WriteString(" → " + state)
		case state != "":
			b.WriteString(" ← " + state)
		case event == "ExecutionStarted":
			b.WriteString(" started")
		default:
			b.WriteString(" " + executionStatus(event))
			if d, ok := fields["duration"]; ok {
				b.WriteString(" in " + readableValue(d))
				delete(fields, "duration")
			}
		}
	case r.Message == "ec2 instance state changed":
		fmt.Fprintf(&b, "ec2 %s %s → %s", str("instanceId"), str("from"), str("to"))
		delete(fields, "at")
	case r.Message == "function":
		fmt.Fprintf(&b, "%s | %s", str("function"), functionLine(str("log")))
	default:
		if service != "" {
			b.WriteString(service + " ")
		}
		b.WriteString(r.Message)
	}
	for _, k := range order {
		v, ok := fields[k]
		if !ok {
			continue
		}
		b.WriteString(" " + k + "=" + readableValue(v))
	}
	b.WriteByte('\n')
	_, err := io.WriteString(h.out, b.String())
	return err
}

// functionLine renders a function's JSON log line (slog's, or Lambda's JSON log format) as the
// rest of the console reads: the message, then the other fields as key=value in key order; the
// time and level are the console's own. Anything else is shown as it is.
func functionLine(line string) string {
	var rec map[string]any
	if json.Unmarshal([]byte(line), &rec) != nil || rec == nil {
		return line
	}
	msg, _ := rec["msg"].(string)
	if msg == "" {
		msg, _ = rec["message"].(string)
	}
	keys := make([]string, 0, len(rec))
	for k := range rec {
		switch k {
		case "time", "timestamp", "level", "msg", "message":
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(msg)
	for _, k := range keys {
		v, err := json.Marshal(rec[k])
		if err != nil {
			continue
		}
		value := string(v)
		if str, ok := rec[k].(string); ok {
			value = readableValue(slog.StringValue(str))
		}
		b.WriteString(" " + k + "=" + value)
	}
	return b.String()
}

// readableValue prints durations rounded to what a person compares, and execution ARNs short.
func readableValue(v slog.Value) string {
	if v.Kind() == slog.KindDuration {
		return readableDuration(v.Duration())
	}
	s := v.String()
	if strings.HasPrefix(s, "arn:aws:states:") && (strings.Contains(s, ":execution:") || strings.Contains(s, ":express:")) {
		return ShortExecution(s)
	}
	if strings.ContainsAny(s, " \"=") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

func readableDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

// ShortExecution names an execution for people: its state machine and the first eight
// characters of its name ("ExpressStateMachine/3e20ac03"). Names are UUIDs or hex digests, so
// eight characters tell concurrent executions apart. Anything else comes back as it is.
func ShortExecution(arn string) string {
	if u, err := url.PathUnescape(arn); err == nil {
		arn = u
	}
	// arn:aws:states:region:account:execution:machine:name, or …:express:machine:name:run
	a, err := awsarn.Parse(arn)
	if err != nil || a.Service != "states" {
		return arn
	}
	parts := strings.Split(a.Resource, ":")
	if len(parts) < 3 || (parts[0] != "execution" && parts[0] != "express") {
		return arn
	}
	name := parts[2]
	if len(name) > 8 {
		name = name[:8]
	}
	return parts[1] + "/" + name
}

func executionStatus(event string) string {
	switch event {
	case "ExecutionSucceeded":
		return "SUCCEEDED"
	case "ExecutionFailed":
		return "FAILED"
	case "ExecutionTimedOut":
		return "TIMED_OUT"
	case "ExecutionAborted":
		return "ABORTED"
	}
	return event
}
