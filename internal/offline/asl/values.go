package asl

import (
	"fmt"
	"strconv"
	"sync"

	"github.com/stepgate/stepgate/internal/offline/asl/value"
)

// maxPayloadBytes is Step Functions' limit on a state's input or output and
// an execution's input (256 KiB).
const maxPayloadBytes = 256 * 1024

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// marshalValue renders a value as Step Functions does in history events and
// outputs: compact, without HTML escaping, objects in their key order.
func marshalValue(v any) (string, error) {
	bp := bufPool.Get().(*[]byte)
	b, err := value.Append((*bp)[:0], v)
	if err != nil {
		bufPool.Put(bp)
		return "", fmt.Errorf("encode value: %w", err)
	}
	s := string(b)
	*bp = b[:0] // keep a grown array for the next caller
	bufPool.Put(bp)
	return s, nil
}

// compactJSON renders v for an error message; it never fails.
func compactJSON(v any) string {
	s, err := marshalValue(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return s
}

// decodeValue decodes JSON text into the engine's values: ordered objects,
// json.Number.
func decodeValue(data []byte) (any, error) {
	return value.Decode(data)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
