// Command typecheck type-checks packages and all their dependencies from source, for a GOOS and
// GOARCH (with cgo off), without compiling them: what `go build` would refuse for that platform
// (a type error, a symbol missing behind a build constraint), in a fraction of the time, since no
// code is generated. Outside CI, `make cross` uses it for darwin/arm64 (CI cross-builds for real).
//
//	go run ./cmd/typecheck -goos darwin -goarch arm64 [-tags t] PACKAGE...
package main

import (
	"flag"
	"fmt"
	"os"

	"golang.org/x/tools/go/packages"
)

func main() {
	goos := flag.String("goos", "", "the GOOS to check for (default: go env GOOS)")
	goarch := flag.String("goarch", "", "the GOARCH to check for (default: go env GOARCH)")
	tags := flag.String("tags", "", "build tags, as go build's -tags")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: typecheck [-goos os] [-goarch arch] [-tags t] PACKAGE...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run(*goos, *goarch, *tags, flag.Args()))
}

func run(goos, goarch, tags string, patterns []string) int {
	env := append(os.Environ(), "CGO_ENABLED=0")
	if goos != "" {
		env = append(env, "GOOS="+goos)
	}
	if goarch != "" {
		env = append(env, "GOARCH="+goarch)
	}
	cfg := &packages.Config{
		// Types for every package, dependencies included, from their source: no export data, so
		// nothing is compiled.
		Env:  env,
		Mode: packages.NeedName | packages.NeedImports | packages.NeedDeps | packages.NeedTypes | packages.NeedSyntax | packages.NeedTypesInfo,
	}
	if tags != "" {
		cfg.BuildFlags = []string{"-tags", tags}
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "typecheck:", err)
		return 1
	}
	if n := packages.PrintErrors(pkgs); n > 0 {
		fmt.Fprintf(os.Stderr, "typecheck: %d errors\n", n)
		return 1
	}
	return 0
}
