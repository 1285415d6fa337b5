package asl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
)

// maxPayloadBytes is Step Functions' limit on a state's input or output and
// an execution's input (256 KiB).
const maxPayloadBytes = 256 * 1024

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// marshalValue renders a value as Step Functions does in history events and
// outputs: compact, without HTML escaping.
func marshalValue(v any) (string, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	defer bufPool.Put(buf)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("encode value: %w", err)
	}
	b := buf.Bytes()
	return string(b[:len(b)-1]), nil
}

// compactJSON renders v for an error message; it never fails.
func compactJSON(v any) string {
	s, err := marshalValue(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return s
}

// decodeValue decodes JSON text into the engine's generic values.
func decodeValue(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}
