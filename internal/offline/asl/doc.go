// Package asl is an Amazon States Language engine for both query
// languages, JSONPath and JSONata, with workflow variables: it parses and
// validates a state machine definition the way AWS Step Functions does (refusing a broken one with an InvalidDefinition-style
// message), runs executions of it with AWS's input and output processing,
// error handling, retries and catchers, and records the execution history
// with the event types, ids and details GetExecutionHistory returns.
//
// Values inside the engine are the generic values of encoding/json decoded
// with UseNumber: map[string]any, []any, string, json.Number, bool and nil.
// Task states hand their resource and effective input to an Invoker, which
// the local Step Functions server implements.
//
// The query language is chosen per state (QueryLanguage, inherited from the
// machine or the enclosing state) and reached through one seam, dataflow;
// JSONata expressions are evaluated by the jsonata subpackage.
package asl
