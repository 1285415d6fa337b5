// Package routereader gives the offline stack the start function's own reader of a routes
// document (internal/app/route), which the offline stack may not import itself: make local and
// the offline tests refuse at start-up exactly what the function would, naming the route.
package routereader

import (
	"encoding/json"
	"fmt"

	"github.com/stepgate/stepgate/internal/app/route"
	"github.com/stepgate/stepgate/internal/offline"
)

var _ offline.RouteReader = Read

// Read parses a routes document as the start function does and describes its routes, each with
// its whole route.Description (JSON) for the tools that show the stack.
func Read(document string, getenv func(string) string) ([]offline.DeclaredRoute, error) {
	cfg, err := route.Parse(document, getenv)
	if err != nil {
		return nil, err
	}
	var out []offline.DeclaredRoute
	for _, d := range cfg.Describe() {
		desc, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("describe route %s %s: %w", d.Method, d.Path, err)
		}
		r := offline.DeclaredRoute{Method: d.Method, Path: d.Path, Mode: string(d.Mode), StateMachineARN: d.StateMachineARN,
			Outcome: string(d.Outcome), Description: desc}
		if d.Token != nil {
			r.Token = &offline.RouteToken{From: d.Token.From, Name: d.Token.Name}
		}
		out = append(out, r)
	}
	return out, nil
}
