// Package routereader gives the offline stack the start function's own reader of a routes
// document (internal/app/route), which the offline stack may not import itself: make local and
// the offline tests refuse at start-up exactly what the function would, naming the route.
package routereader

import (
	"github.com/stepgate/stepgate/internal/app/route"
	"github.com/stepgate/stepgate/internal/offline"
)

var _ offline.RouteReader = Read

// Read parses a routes document as the start function does and describes its routes.
func Read(document string, getenv func(string) string) ([]offline.DeclaredRoute, error) {
	cfg, err := route.Parse(document, getenv)
	if err != nil {
		return nil, err
	}
	var out []offline.DeclaredRoute
	for _, d := range cfg.Describe() {
		r := offline.DeclaredRoute{Method: d.Method, Path: d.Path, Mode: string(d.Mode), StateMachineARN: d.StateMachineARN,
			Outcome: string(d.Outcome)}
		if d.Token != nil {
			r.Token = &offline.RouteToken{From: d.Token.From, Name: d.Token.Name}
		}
		out = append(out, r)
	}
	return out, nil
}
