// Package asl is an Amazon States Language engine for the JSONPath query
// language: it parses and validates a state machine definition the way AWS
// Step Functions does (refusing a broken one with an InvalidDefinition-style
// message), runs executions of it with AWS's input and output processing,
// error handling, retries and catchers, and records the execution history
// with the event types, ids and details GetExecutionHistory returns.
//
// Values inside the engine are the generic values of encoding/json decoded
// with UseNumber: map[string]any, []any, string, json.Number, bool and nil.
// Task states hand their resource and effective input to an Invoker, which
// the local Step Functions server implements.
//
// JSONata and workflow variables (Assign) are not implemented yet: a
// definition asking for JSONata is refused with a clear error, and the
// query language is kept per state so that a second evaluator can be added.
package asl
