package localec2

import (
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/stepgate/stepgate/internal/clock"
)

// xmlNamespace is the namespace of EC2 API version 2016-11-15, the one every
// current SDK speaks.
const xmlNamespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// maxRequestBody bounds a query request; EC2's own limit is far below it.
const maxRequestBody = 1 << 20

// Handler serves the EC2 query protocol: Action and its parameters in a POST
// form body (or the URL query), answers in EC2's XML.
func (e *EC2) Handler() http.Handler {
	return http.HandlerFunc(e.serveQuery)
}

func (e *EC2) serveQuery(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	requestID := uuid.NewString()
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	var (
		action string
		body   []byte
		err    error
	)
	if perr := r.ParseForm(); perr != nil {
		err = &APIError{"InvalidParameterValue", "The request body could not be parsed as a form."}
	} else {
		action = r.Form.Get("Action")
		body, err = e.dispatch(action, r.Form, requestID)
	}

	status := http.StatusOK
	if err != nil {
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			// Not expected: every failure path returns an APIError. Keep the
			// detail in the log and answer as EC2 answers its own faults.
			e.log.Error("ec2 request failed", "requestId", requestID, "action", action, "error", err)
			apiErr = &APIError{"InternalError", "An internal error has occurred"}
		}
		status = http.StatusBadRequest
		if apiErr.Code == "InternalError" {
			status = http.StatusInternalServerError
		}
		body = appendErrorXML(nil, apiErr, requestID)
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.Header().Set("X-Amzn-Requestid", requestID)
	w.WriteHeader(status)
	_, _ = w.Write(body)

	// Every API call is for -v; failed ones are warnings.
	level := slog.LevelDebug
	attrs := []any{"requestId", requestID, "action", action, "status", status, "duration", time.Since(started)}
	if err != nil {
		level = slog.LevelWarn
		attrs = append(attrs, "error", err.Error())
	}
	e.log.Log(r.Context(), level, "ec2 request", attrs...)
}

// dispatch runs one action and renders its XML answer.
func (e *EC2) dispatch(action string, form url.Values, requestID string) ([]byte, error) {
	switch action {
	case "":
		return nil, errMissingParameter("Action")
	case "DescribeInstances", "DescribeInstanceStatus":
		q, err := queryFromForm(form, action == "DescribeInstanceStatus")
		if err != nil {
			return nil, err
		}
		if err := dryRun(form); err != nil {
			return nil, err
		}
		instances, next, err := e.describe(q)
		if err != nil {
			return nil, err
		}
		if action == "DescribeInstances" {
			return appendDescribeInstancesXML(nil, e.accountID, instances, next, requestID), nil
		}
		return appendDescribeInstanceStatusXML(nil, instances, next, requestID), nil
	case "StartInstances", "StopInstances":
		start := action == "StartInstances"
		if _, err := boolParam(form, "Force"); err != nil {
			return nil, err
		}
		ids := indexed(form, "InstanceId.")
		if err := dryRun(form); err != nil {
			return nil, err
		}
		changes, err := e.change(ids, start)
		if err != nil {
			return nil, err
		}
		return appendStateChangesXML(nil, action, changes, requestID), nil
	}
	return nil, errInvalidAction(action)
}

// dryRun answers DryRun=true the way EC2 does when the caller is allowed.
func dryRun(form url.Values) error {
	on, err := boolParam(form, "DryRun")
	if err != nil {
		return err
	}
	if on {
		return &APIError{"DryRunOperation", "Request would have succeeded, but DryRun flag is set."}
	}
	return nil
}

func queryFromForm(form url.Values, statusCall bool) (describeQuery, error) {
	q := describeQuery{
		ids:        indexed(form, "InstanceId."),
		nextToken:  form.Get("NextToken"),
		includeAll: !statusCall,
	}
	if statusCall {
		all, err := boolParam(form, "IncludeAllInstances")
		if err != nil {
			return q, err
		}
		q.includeAll = all
	}
	if s := form.Get("MaxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, errInvalidParameterValue("Invalid value '" + s + "' for maxResults")
		}
		q.maxResults = n
	}
	for _, n := range indexKeys(form, "Filter.", ".Name") {
		prefix := "Filter." + n + "."
		q.filters = append(q.filters, filter{
			Name:   form.Get(prefix + "Name"),
			Values: indexed(form, prefix+"Value."),
		})
	}
	return q, nil
}

func boolParam(form url.Values, name string) (bool, error) {
	s := form.Get(name)
	switch strings.ToLower(s) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, errInvalidParameterValue("Invalid value '" + s + "' for " + name + ". Expected a boolean.")
}

// indexed returns the values of prefix1, prefix2, … (the query protocol's
// list encoding) in index order.
func indexed(form url.Values, prefix string) []string {
	keys := indexKeys(form, prefix, "")
	out := make([]string, 0, len(keys))
	for _, n := range keys {
		out = append(out, form.Get(prefix+n))
	}
	return out
}

// indexKeys returns the N of every key prefix+N+suffix, sorted numerically.
func indexKeys(form url.Values, prefix, suffix string) []string {
	var keys []string
	for k := range form {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		n, ok := strings.CutSuffix(rest, suffix)
		if !ok || n == "" || strings.Trim(n, "0123456789") != "" {
			continue
		}
		keys = append(keys, n)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, _ := strconv.Atoi(keys[i])
		b, _ := strconv.Atoi(keys[j])
		return a < b
	})
	return keys
}

// The XML writers below append to a byte slice: EC2's shapes are fixed, and
// writing them directly is cheaper than encoding/xml's reflection.

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

func openResponse(b []byte, action, requestID string) []byte {
	b = append(b, xmlHeader...)
	b = append(b, '<')
	b = append(b, action...)
	b = append(b, `Response xmlns="`+xmlNamespace+`">`...)
	return appendElem(b, "requestId", requestID)
}

func closeResponse(b []byte, action, next string) []byte {
	if next != "" {
		b = appendElem(b, "nextToken", next)
	}
	b = append(b, "</"...)
	b = append(b, action...)
	return append(b, "Response>"...)
}

func appendDescribeInstancesXML(b []byte, ownerID string, instances []Instance, next, requestID string) []byte {
	b = openResponse(b, "DescribeInstances", requestID)
	b = append(b, "<reservationSet>"...)
	for i := range instances {
		in := &instances[i]
		b = append(b, "<item>"...)
		b = appendElem(b, "reservationId", in.ReservationID)
		b = appendElem(b, "ownerId", ownerID)
		b = append(b, "<groupSet/><instancesSet><item>"...)
		b = appendInstanceXML(b, in)
		b = append(b, "</item></instancesSet></item>"...)
	}
	b = append(b, "</reservationSet>"...)
	return closeResponse(b, "DescribeInstances", next)
}

func appendInstanceXML(b []byte, in *Instance) []byte {
	b = appendElem(b, "instanceId", in.ID)
	b = appendElem(b, "imageId", in.ImageID)
	b = appendStateXML(b, "instanceState", in.State)
	b = appendElem(b, "privateDnsName", privateDNSName(in))
	b = append(b, "<dnsName/>"...)
	b = appendElem(b, "reason", in.StateTransitionReason)
	b = append(b, "<amiLaunchIndex>0</amiLaunchIndex><productCodes/>"...)
	b = appendElem(b, "instanceType", in.InstanceType)
	b = appendElem(b, "launchTime", clock.Format(in.LaunchTime))
	b = append(b, "<placement>"...)
	b = appendElem(b, "availabilityZone", in.AvailabilityZone)
	b = append(b, "<groupName/><tenancy>default</tenancy></placement><monitoring><state>disabled</state></monitoring>"...)
	b = appendElem(b, "privateIpAddress", in.PrivateIP)
	if code, msg, ok := stateReason(in.State); ok {
		b = append(b, "<stateReason>"...)
		b = appendElem(b, "code", code)
		b = appendElem(b, "message", msg)
		b = append(b, "</stateReason>"...)
	}
	b = append(b, "<architecture>x86_64</architecture><rootDeviceType>ebs</rootDeviceType><rootDeviceName>/dev/xvda</rootDeviceName><blockDeviceMapping/><virtualizationType>hvm</virtualizationType>"...)
	if len(in.Tags) > 0 {
		b = append(b, "<tagSet>"...)
		for _, k := range slices.Sorted(maps.Keys(in.Tags)) {
			b = append(b, "<item>"...)
			b = appendElem(b, "key", k)
			b = appendElem(b, "value", in.Tags[k])
			b = append(b, "</item>"...)
		}
		b = append(b, "</tagSet>"...)
	}
	return append(b, "<hypervisor>xen</hypervisor><ebsOptimized>false</ebsOptimized>"...)
}

func appendDescribeInstanceStatusXML(b []byte, instances []Instance, next, requestID string) []byte {
	b = openResponse(b, "DescribeInstanceStatus", requestID)
	b = append(b, "<instanceStatusSet>"...)
	for i := range instances {
		in := &instances[i]
		b = append(b, "<item>"...)
		b = appendElem(b, "instanceId", in.ID)
		b = appendElem(b, "availabilityZone", in.AvailabilityZone)
		b = appendStateXML(b, "instanceState", in.State)
		b = appendStatusXML(b, "systemStatus", in.State)
		b = appendStatusXML(b, "instanceStatus", in.State)
		b = append(b, "</item>"...)
	}
	b = append(b, "</instanceStatusSet>"...)
	return closeResponse(b, "DescribeInstanceStatus", next)
}

// appendStatusXML writes a status check summary: a running instance passes
// its checks; any other state has none to report.
func appendStatusXML(b []byte, name string, s State) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	status, detail := checkStatus(s)
	b = appendElem(b, "status", status)
	if detail != "" {
		b = append(b, "<details><item><name>reachability</name>"...)
		b = appendElem(b, "status", detail)
		b = append(b, "</item></details>"...)
	}
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendStateChangesXML(b []byte, action string, changes []stateChange, requestID string) []byte {
	b = openResponse(b, action, requestID)
	b = append(b, "<instancesSet>"...)
	for _, c := range changes {
		b = append(b, "<item>"...)
		b = appendElem(b, "instanceId", c.id)
		b = appendStateXML(b, "currentState", c.current)
		b = appendStateXML(b, "previousState", c.previous)
		b = append(b, "</item>"...)
	}
	b = append(b, "</instancesSet>"...)
	return closeResponse(b, action, "")
}

func appendStateXML(b []byte, name string, s State) []byte {
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, "><code>"...)
	b = strconv.AppendInt(b, int64(s.Code()), 10)
	b = append(b, "</code>"...)
	b = appendElem(b, "name", string(s))
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendErrorXML(b []byte, err *APIError, requestID string) []byte {
	b = append(b, xmlHeader...)
	b = append(b, "<Response><Errors><Error>"...)
	b = appendElem(b, "Code", err.Code)
	b = appendElem(b, "Message", err.Message)
	b = append(b, "</Error></Errors>"...)
	b = appendElem(b, "RequestID", requestID)
	return append(b, "</Response>"...)
}

// appendElem writes <name>text</name>, or <name/> for empty text as EC2 does.
func appendElem(b []byte, name, text string) []byte {
	b = append(b, '<')
	b = append(b, name...)
	if text == "" {
		return append(b, "/>"...)
	}
	b = append(b, '>')
	b = appendXMLText(b, text)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendXMLText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		case '\'':
			b = append(b, "&apos;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// privateDNSName follows EC2's naming: ec2.internal in us-east-1,
// <region>.compute.internal elsewhere.
func privateDNSName(in *Instance) string {
	host := "ip-" + strings.ReplaceAll(in.PrivateIP, ".", "-")
	region := strings.TrimRight(in.AvailabilityZone, "abcdefghijklmnopqrstuvwxyz")
	if region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + region + ".compute.internal"
}

// stateReason is EC2's stateReason for states that carry one.
func stateReason(s State) (code, message string, ok bool) {
	switch s {
	case StateStopping, StateStopped, StateShuttingDown, StateTerminated:
		return "Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown", true
	}
	return "", "", false
}

// checkStatus is the status of the system and instance checks in state s,
// and the reachability detail ("" when there is none).
func checkStatus(s State) (status, detail string) {
	if s == StateRunning {
		return "ok", "passed"
	}
	return "not-applicable", ""
}
