package asl

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// What TestState needs of the engine beyond RunState: its definitions (one
// state, or a whole machine with Distributed Map fields), mocks of a state's
// work, a Distributed Map's thresholds, reader and batcher as a mocked run
// uses them, and which processing steps TestState reports for each type of
// state.

// SingleStateName is the name TestState gives the state of a definition of
// one state: InvalidDefinition messages locate its fields at
// "/States/StateName/…", and $$.State.Name is "StateName".
const SingleStateName = "StateName"

// ParseTestDefinition parses the definition of a TestState request: a whole
// state machine when whole is set (TestState's stateName then picks one of
// its states), otherwise one state, which becomes the machine's only state,
// named SingleStateName, and whose transitions may name states that are not
// there. Both accept a Distributed Map's fields: TestState runs a Map state
// only with a mock of its iterations.
func ParseTestDefinition(definition []byte, whole bool) (*StateMachine, error) {
	d := &decoder{distributed: true}
	if whole {
		return parse(definition, d)
	}
	state := bytes.TrimSpace(definition)
	if len(state) == 0 || state[0] != '{' {
		return nil, &DefinitionError{Problems: []Problem{{Code: CodeInvalidJSONDescription, Message: "the definition of a state must be a JSON object", Location: "/"}}}
	}
	// Wrapped as text, so that the state keeps its keys' order.
	wrapped := make([]byte, 0, len(state)+64)
	wrapped = append(wrapped, `{"StartAt":"`+SingleStateName+`","States":{"`+SingleStateName+`":`...)
	wrapped = append(wrapped, state...)
	wrapped = append(wrapped, "}}"...)
	d.single = true
	return parse(wrapped, d)
}

// StateInfo describes a state of a parsed definition, for the checks
// TestState makes before it runs one.
type StateInfo struct {
	Type     string // Pass, Task, Choice, Wait, Succeed, Fail, Parallel or Map
	Resource string // a Task state's Resource
	Branches int    // a Parallel state's branches
	// ResultWriter tells that a Map state writes its results elsewhere: its
	// result is then an object, not the array of its iterations' outputs.
	ResultWriter bool
	// Inner are the states of a Parallel state's branches or a Map state's
	// item processor, at any depth.
	Inner []string
}

// StateInfo describes the state called name (anywhere in the machine);
// false when there is none.
func (sm *StateMachine) StateInfo(name string) (StateInfo, bool) {
	st := sm.root.find(name)
	if st == nil {
		return StateInfo{}, false
	}
	info := StateInfo{Type: st.typ}
	switch k := st.kind.(type) {
	case *taskKind:
		info.Resource = k.resource
	case *parallelKind:
		info.Branches = len(k.branches)
	case *mapKind:
		info.ResultWriter = k.distributed != nil && k.distributed.resultWriter
	}
	var walk func(g *graph)
	walk = func(g *graph) {
		for _, name := range slices.Sorted(maps.Keys(g.states)) {
			info.Inner = append(info.Inner, name)
			for _, sub := range g.states[name].kind.subgraphs() {
				walk(sub)
			}
		}
	}
	for _, g := range st.kind.subgraphs() {
		walk(g)
	}
	return info, true
}

// Mock replaces the work of the state RunState runs: a Task state's call, a
// Parallel state's branches, a Map state's iterations. The state's input
// and output processing, retriers and catchers run as they would.
type Mock struct {
	// Result is the work's result as JSON: what the Task's resource
	// returns (the whole API answer, not unwrapped), the array of a
	// Parallel state's branch outputs or of a Map state's iteration
	// outputs.
	Result json.RawMessage
	// Failure, when set, is the error the work fails with instead.
	Failure *Failure
}

// mocked is the mock of the state RunState runs; nil for any other state
// and in executions.
func (e *env) mocked() *Mock {
	if e.inspect == nil {
		return nil
	}
	return e.exec.single.mock
}

// result is the mocked work's result, or its error.
func (m *Mock) result(st *state) (any, string, error) {
	if m.Failure != nil {
		return nil, "", &Failure{Name: m.Failure.Name, Cause: m.Failure.Cause}
	}
	v, err := decodeResult(m.Result)
	if err != nil {
		return nil, "", err
	}
	return v, st.next, nil
}

// distributedMap holds a Distributed Map state's own fields.
type distributedMap struct {
	toleratedCount, toleratedPercentage *field // nil: not set
	reader                              *itemReader
	batcher                             *itemBatcher
	resultWriter                        bool
}

// distributedMapFields are the Map fields a Distributed Map adds, allowed
// where the decoder accepts them (TestState).
func (f fieldSets) distributedMapFields() []string {
	if !f.distributed {
		return nil
	}
	return slices.Concat([]string{"ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailureCount", "ToleratedFailurePercentage", "Label"},
		f.pick([]string{"ToleratedFailureCountPath", "ToleratedFailurePercentagePath"}, nil))
}

func (d *decoder) distributedMap(obj map[string]any, loc string) *distributedMap {
	dm := &distributedMap{}
	dm.toleratedCount = d.field(obj, loc, "ToleratedFailureCount", false, func(any, string) {
		d.integer(obj, loc, "ToleratedFailureCount", 0, math.MaxInt32)
	})
	dm.toleratedPercentage = d.field(obj, loc, "ToleratedFailurePercentage", false, func(v any, at string) {
		if p, ok := percentage(v); !ok || p < 0 || p > 100 {
			d.problem(CodeSchemaValidationFailed, "The value for the field 'ToleratedFailurePercentage' must be a NUMBER between 0 and 100", at)
		}
	})
	if v, ok := obj["ItemReader"]; ok {
		dm.reader = d.itemReader(v, loc+"/ItemReader")
	}
	if v, ok := obj["ItemBatcher"]; ok {
		dm.batcher = d.itemBatcher(v, loc+"/ItemBatcher")
	}
	_, dm.resultWriter = obj["ResultWriter"]
	return dm
}

func percentage(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// tolerance evaluates the thresholds, and records them.
func (dm *distributedMap) tolerance(in any, e *env) (count *int64, pct *float64, err error) {
	if dm == nil {
		return nil, nil, nil
	}
	if dm.toleratedCount != nil {
		n, err := dm.toleratedCount.integer(in, e, 0, "a non-negative integer")
		if err != nil {
			return nil, nil, err
		}
		count = &n
		e.inspect.data.ToleratedFailureCount = count
	}
	if dm.toleratedPercentage != nil {
		v, found, err := dm.toleratedPercentage.lookup(in, e)
		if err != nil {
			return nil, nil, err
		}
		p, ok := percentage(v)
		if !found || !ok || p < 0 || p > 100 {
			return nil, nil, dm.toleratedPercentage.mistyped(in, e, v, found, "a number between 0 and 100")
		}
		pct = &p
		e.inspect.data.ToleratedFailurePercentage = pct
	}
	return count, pct, nil
}

// mockedRun is a Map state's work when RunState mocks its iterations: the
// batches are built and the thresholds evaluated as they would be, then the
// mock is the result, unless more iterations failed
// (StateRun.MapIterationFailureCount) than the thresholds tolerate. Without
// a threshold, failed iterations do not fail the state (AWS's recorded
// TestState answers).
func (k *mapKind) mockedRun(st *state, in any, items, inputs []any, e *env, m *Mock) (any, string, error) {
	dm := k.distributed
	if dm != nil && dm.batcher != nil {
		batches, err := dm.batcher.batch(in, inputs, e)
		if err != nil {
			return nil, "", err
		}
		e.record(stepAfterItemBatcher, batches)
	}
	count, pct, err := dm.tolerance(in, e)
	if err != nil {
		return nil, "", err
	}
	result, next, err := m.result(st)
	if err != nil {
		return nil, "", err
	}
	failures := e.exec.single.mapFailures
	total := len(items)
	if items == nil {
		arr, _ := result.([]any)
		total = len(arr)
	}
	if failures > 0 && (count != nil && int64(failures) > *count ||
		pct != nil && total > 0 && float64(failures)*100/float64(total) > *pct) {
		return nil, "", failf(ErrNameExceedToleratedFailureThreshold, "The specified tolerated failure threshold was exceeded")
	}
	return result, next, nil
}

// itemsOf is a Map state's items: ItemsPath's or Items' array, or what its
// ItemReader reads (nil when RunState was given nothing to read).
func (k *mapKind) itemsOf(in any, e *env) ([]any, error) {
	if k.distributed == nil || k.distributed.reader == nil {
		items, err := k.items.array(in, e)
		if err == nil {
			e.record(stepAfterItemsPath, items)
		}
		return items, err
	}
	if e.exec.single == nil || e.exec.single.readerData == "" {
		return nil, nil
	}
	return k.distributed.reader.read(e.exec.single.readerData, in, e)
}

// itemReader is a Distributed Map's ItemReader, as far as reading its data
// goes: the format of its ReaderConfig and MaxItems.
type itemReader struct {
	inputType string // JSON (also for no ReaderConfig), JSONL, CSV
	headers   []string
	delimiter rune
	maxItems  *field
}

// distributedObject is the object a Distributed Map's field holds; nil,
// with a problem, when it holds something else.
func (d *decoder) distributedObject(v any, loc, key string) map[string]any {
	obj, ok := v.(map[string]any)
	if !ok {
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The value for the field '%s' must be an OBJECT", key), loc)
	}
	return obj
}

func (d *decoder) itemReader(v any, loc string) *itemReader {
	obj := d.distributedObject(v, loc, "ItemReader")
	if obj == nil {
		return nil
	}
	r := &itemReader{inputType: "JSON", delimiter: ','}
	rc, ok := obj["ReaderConfig"].(map[string]any)
	if !ok {
		return r
	}
	at := loc + "/ReaderConfig"
	if t := d.str(rc, at, "InputType", false); t != "" {
		r.inputType = t
	}
	switch r.inputType {
	case "JSON", "JSONL":
	case "CSV":
		if d.str(rc, at, "CSVHeaderLocation", false) == "GIVEN" {
			hs, _ := rc["CSVHeaders"].([]any)
			for _, h := range hs {
				s, _ := h.(string)
				r.headers = append(r.headers, s)
			}
		}
		switch d.str(rc, at, "CSVDelimiter", false) {
		case "SEMICOLON":
			r.delimiter = ';'
		case "PIPE":
			r.delimiter = '|'
		case "SPACE":
			r.delimiter = ' '
		case "TAB":
			r.delimiter = '\t'
		}
	default:
		d.problem(CodeSchemaValidationFailed, fmt.Sprintf("The ItemReader InputType '%s' is not read by this engine; use JSON, JSONL or CSV", r.inputType), at+"/InputType")
	}
	r.maxItems = d.field(rc, at, "MaxItems", false, func(any, string) {
		d.integer(rc, at, "MaxItems", 0, 100000000)
	})
	return r
}

// read turns the reader's data into items: a JSON array, JSON Lines, or CSV
// rows as objects keyed by the header row (or the given headers).
func (r *itemReader) read(data string, in any, e *env) ([]any, error) {
	var items []any
	bad := func(err error) error {
		return failf(ErrNameItemReaderFailed, "The item reader could not read the %s data: %v", r.inputType, err)
	}
	switch r.inputType {
	case "JSON":
		v, err := decodeValue([]byte(data))
		if err != nil {
			return nil, bad(err)
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, bad(fmt.Errorf("it is %s, not an array", jsonType(v)))
		}
		items = arr
	case "JSONL":
		for line := range strings.Lines(data) {
			if strings.TrimSpace(line) == "" {
				continue
			}
			v, err := decodeValue([]byte(line))
			if err != nil {
				return nil, bad(err)
			}
			items = append(items, v)
		}
	case "CSV":
		cr := csv.NewReader(strings.NewReader(data))
		cr.Comma = r.delimiter
		cr.FieldsPerRecord = -1
		rows, err := cr.ReadAll()
		if err != nil {
			return nil, bad(err)
		}
		headers := r.headers
		if headers == nil && len(rows) > 0 {
			headers, rows = rows[0], rows[1:]
		}
		for _, row := range rows {
			o := value.NewObject(len(headers))
			for i, h := range headers {
				if i < len(row) {
					o.Set(h, row[i])
				}
			}
			items = append(items, o)
		}
	}
	if r.maxItems != nil {
		n, err := r.maxItems.integer(in, e, 0, "a non-negative integer")
		if err != nil {
			return nil, err
		}
		if n > 0 && int64(len(items)) > n {
			items = items[:n]
		}
	}
	return items, nil
}

// itemBatcher is a Distributed Map's ItemBatcher: each iteration's input is
// {"Items": [a batch of items], "BatchInput": …}.
type itemBatcher struct {
	maxItems, maxBytes *field
	batchInput         *field
}

func (d *decoder) itemBatcher(v any, loc string) *itemBatcher {
	obj := d.distributedObject(v, loc, "ItemBatcher")
	if obj == nil {
		return nil
	}
	b := &itemBatcher{}
	b.maxItems = d.field(obj, loc, "MaxItemsPerBatch", false, func(any, string) {
		d.integer(obj, loc, "MaxItemsPerBatch", 1, math.MaxInt32)
	})
	b.maxBytes = d.field(obj, loc, "MaxInputBytesPerBatch", false, func(any, string) {
		d.integer(obj, loc, "MaxInputBytesPerBatch", 1, maxPayloadBytes)
	})
	if bi, ok := obj["BatchInput"]; ok {
		b.batchInput = d.template(bi, loc+"/BatchInput", "BatchInput")
	}
	return b
}

// batch groups the items in order, each batch as long as both limits allow
// (one item at least).
func (b *itemBatcher) batch(in any, items []any, e *env) ([]any, error) {
	var maxItems, maxBytes int64
	var err error
	if b.maxItems != nil {
		if maxItems, err = b.maxItems.integer(in, e, 1, "a positive integer"); err != nil {
			return nil, err
		}
	}
	if b.maxBytes != nil {
		if maxBytes, err = b.maxBytes.integer(in, e, 1, "a positive integer"); err != nil {
			return nil, err
		}
	}
	var batchInput any
	if b.batchInput != nil {
		if batchInput, err = b.batchInput.value(in, e); err != nil {
			return nil, err
		}
	}
	batches := []any{}
	var cur []any
	size := int64(0)
	flush := func() {
		o := value.NewObject(2)
		o.Set("Items", cur)
		if b.batchInput != nil {
			o.Set("BatchInput", batchInput)
		}
		batches = append(batches, o)
		cur, size = nil, 0
	}
	for _, item := range items {
		n := int64(len(compactJSON(item)))
		full := maxItems > 0 && int64(len(cur)) >= maxItems || maxBytes > 0 && size+n > maxBytes
		if len(cur) > 0 && full {
			flush()
		}
		cur = append(cur, item)
		size += n
	}
	if len(cur) > 0 {
		flush()
	}
	return batches, nil
}

// reported is what TestState's inspectionData shows of a state's recorded
// steps, per type of state and query language, as AWS's recorded TestState
// answers show it (LocalStack's AWS-validated snapshots,
// tests/aws/services/stepfunctions/v2/test_state): a JSONPath Task or Pass
// state reports afterParameters and afterResultSelector even without
// Parameters or ResultSelector (the value passed on); a Pass state reports
// its result only when it has a Result, and then neither afterInputPath nor
// afterParameters; Map and Parallel states report no result (a Parallel
// state, nothing of its input processing either), and a JSONata Map state no
// afterItemsPath.
func reported(st *state, d Inspection) Inspection {
	_, isJSONata := st.flow.(*jsonataFlow)
	passThrough := func() {
		if isJSONata {
			return
		}
		if d.AfterParameters == "" {
			d.AfterParameters = d.AfterInputPath
		}
	}
	selectorThrough := func() {
		if !isJSONata && d.AfterResultSelector == "" {
			d.AfterResultSelector = d.Result
		}
	}
	switch st.typ {
	case typeTask:
		passThrough()
		selectorThrough()
	case typePass:
		selectorThrough()
		if pk, _ := st.kind.(*passKind); pk != nil && pk.isResult && !isJSONata {
			d.AfterInputPath, d.AfterParameters = "", ""
			break
		}
		passThrough()
		d.Result = ""
	case typeMap:
		selectorThrough()
		d.Result = ""
		if isJSONata {
			d.AfterItemsPath = ""
		}
	case typeParallel:
		selectorThrough()
		d.Result, d.AfterInputPath, d.AfterParameters, d.AfterArguments = "", "", "", ""
	}
	return d
}
