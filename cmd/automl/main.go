// Command automl finds a good classifier for a CSV file: it profiles the
// data, checks it, searches preprocessing pipelines and models under a time
// or trial budget, and keeps everything under runs/<experiment>/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/goautoml/automl/models/families" // the built-in model families
)

// usageError is a mistake in the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// extra are commands registered by other files of this package (init
// functions calling register), listed after the core ones.
var extra []command

func register(c command) { extra = append(extra, c) }

func commands() []command {
	return append([]command{
		{"run", "search for the best classifier of a CSV file", cmdRun},
		{"demo", "run a 30 s experiment on the bundled German Credit data", cmdDemo},
		{"train", "fit one specified pipeline, without search", cmdTrain},
		{"resume", "continue an interrupted experiment", cmdResume},
		{"profile", "profile a CSV file: types, missing values, statistics, alerts", cmdProfile},
		{"leaderboard", "print an experiment's ranked trials", cmdLeaderboard},
		{"predict", "score new rows with a trial's model bundle", cmdPredict},
	}, extra...)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: automl <command> [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\n'automl <command> -h' lists a command's flags.")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ue usageError
		var nt noTrialError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, &ue):
			fmt.Fprintf(stderr, "automl %s: %v\n", c.name, err)
			return 2
		case errors.As(err, &nt):
			fmt.Fprintf(stderr, "automl %s: %v\n", c.name, err)
			return exitNoTrial
		default:
			fmt.Fprintf(stderr, "automl %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "automl: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("automl "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parse parses args, flags and positional arguments in any order, turning
// flag errors into usage errors and refusing positional arguments beyond
// want. It returns the positional arguments.
func parse(fs *flag.FlagSet, args []string, want int) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) > want {
		return nil, usagef("unexpected argument %q", pos[want])
	}
	return pos, nil
}

// parseExperiment parses the flags of a command that works on one
// experiment folder, given as its only positional argument; usage is the
// command's synopsis, printed with the flags for -h and in the error.
func parseExperiment(fs *flag.FlagSet, args []string, usage string) (string, error) {
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: "+usage)
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args, 1)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usagef("expected the experiment folder: %s", usage)
	}
	return pos[0], nil
}
