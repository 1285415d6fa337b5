// Package asl is an Amazon States Language engine for both query
// languages, JSONPath and JSONata, with workflow variables: it parses and
// validates a state machine definition the way AWS Step Functions does (refusing a broken one with an InvalidDefinition-style
// message), runs executions of it with AWS's input and output processing,
// error handling, retries and catchers, and records the execution history
// with the event types, ids and details GetExecutionHistory returns.
//
// Values inside the engine are encoding/json's generic values decoded with
// UseNumber ([]any, string, json.Number, bool, nil), with objects as
// *value.Object, which keeps their key order as Step Functions does.
// Task states hand their resource and effective input to an Invoker, which
// the local Step Functions server implements.
//
// The query language is chosen per state (QueryLanguage, inherited from the
// machine or the enclosing state) and reached through one seam, dataflow;
// JSONata expressions are evaluated by the jsonata subpackage.
package asl
