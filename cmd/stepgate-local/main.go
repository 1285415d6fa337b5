// Command stepgate-local runs the whole product on this machine, without AWS or Docker: the
// template's API (127.0.0.1:3000 by default) in front of the real function binaries, the real state
// machine files on a local Step Functions engine, and a local EC2, behind one AWS endpoint
// (127.0.0.1:4566 by default). `make local` builds the binaries and runs it.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/stepgate/stepgate/internal/devtools/dashboard"
	"github.com/stepgate/stepgate/internal/devtools/routereader"
	"github.com/stepgate/stepgate/internal/offline"
	"github.com/stepgate/stepgate/internal/offline/localsfn"
	"github.com/stepgate/stepgate/internal/offline/mockconfig"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "stepgate-local:", err)
		os.Exit(1)
	}
}

// run serves the stack until ctx is done. Everything it prints goes to out, in the console's
// format: with -log-format json, every line is a JSON object.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("stepgate-local", flag.ContinueOnError)
	var (
		template   = fs.String("template", "template.yaml", "the SAM template")
		buildDir   = fs.String("build-dir", "", "directory holding <LogicalId>/bootstrap built for this machine (make build)")
		apiAddr    = fs.String("api-addr", offline.DefaultAPIAddr, "the API's address (loopback; port 0 picks a free one)")
		awsAddr    = fs.String("aws-addr", offline.DefaultAWSAddr, "the Step Functions and EC2 endpoint's address (loopback; port 0 picks a free one)")
		timeScale  = fs.Float64("time-scale", 10, "run the workflows' Wait states, retry intervals and timeouts this many times faster (1 = real time)")
		transition = fs.Duration("transition", time.Second, "how long EC2 instances stay pending or stopping")
		throttle   = fs.Float64("fault-throttle", 0, "share of Step Functions API calls answered ThrottlingException (0–1)")
		svcErr     = fs.Float64("fault-error", 0, "share of Step Functions API calls answered InternalFailure (0–1)")
		limit      = fs.Float64("fault-limit", 0, "share of StartExecution calls answered ExecutionLimitExceeded (0–1)")
		maxEnvs    = fs.Int("max-environments", 0, "warm environments per function at most (0: the default)")
		verbose    = fs.Bool("v", false, "log everything: every AWS API call, every state, the functions' own log lines")
		quiet      = fs.Bool("quiet", false, "log only warnings and errors (for load runs)")
		logFormat  = fs.String("log-format", "text", "the console's format: text (for people) or json (one object a line)")
		readyFile  = fs.String("ready-file", "", "once the stack serves, write its description (the AWS endpoint's "+offline.HealthPath+" answer) to this file")
		cpuProfile = fs.String("cpuprofile", "", "write a CPU profile of the stack process to this file until it stops")
		dashAddr   = fs.String("dashboard", dashboard.DefaultAddr, "serve the dashboard on this loopback address (empty: no dashboard)")
		mocks      = fs.String("mock-config", os.Getenv(mockconfig.EnvVar), "AWS's Step Functions Local mock configuration, a MockConfigFile.json (default $"+mockconfig.EnvVar+"); StartExecution on <stateMachineArn>#<TestCaseName> runs a test case")
		testCases  = map[string]string{}
	)
	fs.Func("mock-test-case", "the mock test case of the executions that name none (those the API starts): STATE_MACHINE_NAME=TEST_CASE[,…], repeatable", func(v string) error {
		return parseTestCases(v, testCases)
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *buildDir == "" {
		return fmt.Errorf("-build-dir is required (make local sets it)")
	}
	for _, a := range []string{*apiAddr, *awsAddr} {
		if !loopback(a) {
			return fmt.Errorf("%s is not a loopback address: the offline stack enforces no auth and listens on loopback only", a)
		}
	}
	if err := distinctAddrs(map[string]string{"-api-addr": *apiAddr, "-aws-addr": *awsAddr, "-dashboard": *dashAddr}); err != nil {
		return err
	}
	// The dashboard's address is bound first, so that a busy or non-loopback one fails before
	// the stack starts, as the API's and the endpoint's do.
	var dashLn net.Listener
	if *dashAddr != "" {
		ln, err := dashboard.Listen(*dashAddr)
		if err != nil {
			return fmt.Errorf("%w (-dashboard ADDR moves it, -dashboard \"\" starts none)", err)
		}
		dashLn = ln
		defer dashLn.Close() // a no-op once the dashboard serves on it; it closes it itself
	}
	level := slog.LevelInfo
	switch {
	case *verbose:
		level = slog.LevelDebug
	case *quiet:
		level = slog.LevelWarn
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	stack, err := offline.Start(ctx, offline.Config{
		Template:        *template,
		BuildDir:        *buildDir,
		APIAddr:         *apiAddr,
		AWSAddr:         *awsAddr,
		TimeScale:       *timeScale,
		TransitionDelay: *transition,
		Faults:          localsfn.Faults{ThrottleRate: *throttle, ServiceErrorRate: *svcErr, ExecutionLimitRate: *limit},
		MaxEnvironments: *maxEnvs,
		Log:             out,
		LogLevel:        level,
		LogFormat:       *logFormat,
		Routes:          routereader.Read,
		MockConfig:      *mocks,
		MockTestCases:   testCases,
	})
	if err != nil {
		return err
	}
	if *readyFile != "" {
		health, err := json.Marshal(stack.Health())
		if err == nil {
			err = os.WriteFile(*readyFile, health, 0o644)
		}
		if err != nil {
			stack.Close(context.Background())
			return fmt.Errorf("ready file: %w", err)
		}
	}
	dashURL := ""
	if dashLn != nil {
		if dashURL, err = startDashboard(ctx, dashLn, stack); err != nil {
			stack.Close(context.Background())
			return err
		}
	}
	stack.Announce(dashURL)
	<-ctx.Done()
	stack.AnnounceStop()
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return stack.Close(shutdown)
}

// parseTestCases reads -mock-test-case's MACHINE=CASE[,MACHINE=CASE…] into cases.
func parseTestCases(v string, cases map[string]string) error {
	for pair := range strings.SplitSeq(v, ",") {
		machine, testCase, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || machine == "" || testCase == "" {
			return fmt.Errorf("%q: want STATE_MACHINE_NAME=TEST_CASE (stepgate_Order=HappyPath)", pair)
		}
		if old, dup := cases[machine]; dup && old != testCase {
			return fmt.Errorf("%s has two test cases, %s and %s", machine, old, testCase)
		}
		cases[machine] = testCase
	}
	return nil
}

// loopback reports whether addr (host:port) is on a loopback interface.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && dashboard.Loopback(host)
}

// distinctAddrs refuses two listeners on one address (port 0 picks a free port each time): the
// second bind would fail after the first had started, naming neither flag.
func distinctAddrs(flags map[string]string) error {
	seen := map[string]string{}
	for _, flag := range slices.Sorted(maps.Keys(flags)) {
		addr := flags[flag]
		if _, port, err := net.SplitHostPort(addr); addr == "" || err != nil || port == "0" {
			continue
		}
		if other, ok := seen[addr]; ok {
			return fmt.Errorf("%s and %s are both %s: give each its own port (the dashboard's default is %s; -dashboard \"\" starts none)", other, flag, addr, dashboard.DefaultAddr)
		}
		seen[addr] = flag
	}
	return nil
}
