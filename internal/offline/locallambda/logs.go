package locallambda

import (
	"bytes"
	"io"
	"sync"
)

// lineSink serialises the log lines of every environment onto one writer, so that lines of
// concurrent functions never interleave mid-line.
type lineSink struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *lineSink) writer(prefix string) *lineWriter {
	return &lineWriter{sink: s, prefix: []byte(prefix)}
}

func (s *lineSink) emit(prefix, line []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	buf := make([]byte, 0, len(prefix)+len(line)+1)
	buf = append(append(append(buf, prefix...), line...), '\n')
	_, _ = s.w.Write(buf)
}

// lineWriter is a process's stdout or stderr: it forwards complete lines, prefixed with the
// function's name, and keeps a partial line until its end arrives or the process exits.
type lineWriter struct {
	sink    *lineSink
	prefix  []byte
	mu      sync.Mutex
	partial []byte
}

// maxLine bounds a line kept in memory; a longer one is emitted in pieces.
const maxLine = 256 * 1024

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.partial = append(w.partial, p...)
			if len(w.partial) >= maxLine {
				w.sink.emit(w.prefix, w.partial)
				w.partial = w.partial[:0]
			}
			break
		}
		line := p[:i]
		if len(w.partial) > 0 {
			line = append(w.partial, line...)
			w.partial = w.partial[:0]
		}
		w.sink.emit(w.prefix, bytes.TrimSuffix(line, []byte{'\r'}))
		p = p[i+1:]
	}
	return n, nil
}

// flush emits a last line that had no newline.
func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.sink.emit(w.prefix, w.partial)
		w.partial = nil
	}
}
