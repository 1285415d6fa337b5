package main

import (
	"github.com/stepgate/stepgate/internal/app/route"
	"github.com/stepgate/stepgate/internal/offline"
)

// readRoutes reads a routes document with the start function's own parser, so `make local`
// refuses at start-up what the function would refuse, naming the route.
func readRoutes(document string, getenv func(string) string) ([]offline.DeclaredRoute, error) {
	cfg, err := route.Parse(document, getenv)
	if err != nil {
		return nil, err
	}
	var out []offline.DeclaredRoute
	for _, d := range cfg.Describe() {
		out = append(out, offline.DeclaredRoute{Method: d.Method, Path: d.Path, Mode: string(d.Mode), StateMachineARN: d.StateMachineARN})
	}
	return out, nil
}
