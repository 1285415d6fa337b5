// Package asl is an Amazon States Language engine for both query
// languages, JSONPath and JSONata, with workflow variables: it parses and
// validates a state machine definition the way AWS Step Functions does
// (refusing a broken one with an InvalidDefinition-style message), runs
// executions of it with AWS's input and output processing, error handling,
// retries and catchers, and records the execution history with the event
// types, ids and details GetExecutionHistory returns. RunState runs one
// state alone, with the data of each processing step (TestState).
//
// The engine reads like an interpreter with one type per node: each kind of
// state owns its decoding, validation and evaluation in its own file
// (pass.go, task.go, choice.go, wait.go, succeed.go, fail.go, parallel.go,
// map.go). A field whose value is computed when the state runs (a literal,
// a JSONPath reference, an intrinsic call, a JSONata expression, or a
// template holding some) is one compiled type, field, read through one
// method whatever the language; the query language decides only how a field
// compiles (decoder.field, decoder.template) and the data flow around the
// kind's work (dataflow: InputPath, Parameters, ResultSelector, ResultPath,
// OutputPath in JSONPath; Arguments and Output in JSONata; Assign in both).
// thread.go runs states and their retriers and catchers (retry.go) for
// executions (execution.go) and RunState (runstate.go) alike.
//
// Values inside the engine are encoding/json's generic values decoded with
// UseNumber ([]any, string, json.Number, bool, nil), with objects as
// *value.Object, which keeps their key order as Step Functions does.
// Task states hand a TaskRequest to an Invoker, which the local Step
// Functions server implements; JSONata expressions are evaluated by the
// jsonata subpackage.
package asl
