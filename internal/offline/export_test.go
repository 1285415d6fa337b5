package offline

import (
	"io"
	"log/slog"
)

// FunctionLogForTest is the writer the console gives the functions' output, at the default level.
func FunctionLogForTest(w io.Writer) io.Writer {
	c, err := newConsole(w, slog.LevelInfo, "text")
	if err != nil {
		panic(err)
	}
	return c.functionLog()
}
