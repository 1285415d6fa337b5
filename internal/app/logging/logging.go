// Package logging builds the Lambdas' logger: JSON lines on stderr through log/slog (Lambda's JSON
// log format), at the level LOG_LEVEL names.
package logging

import (
	"io"
	"log/slog"
)

// EnvLevel is the environment variable the template sets for every function.
const EnvLevel = "LOG_LEVEL"

// New returns a JSON logger writing to w at level (DEBUG, INFO, WARN or ERROR, any case; empty means
// INFO). A level it does not understand is reported on the logger itself and INFO is used, so a
// typo in a template parameter never stops a function.
func New(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	err := l.UnmarshalText([]byte(level))
	logger := slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
	if err != nil && level != "" {
		logger.Warn(EnvLevel+" not understood; logging at INFO", "value", level)
	}
	return logger
}
