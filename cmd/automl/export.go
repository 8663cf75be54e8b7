package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/goautoml/automl/mlflow"
)

func init() {
	register(command{"export", "export an experiment to an MLflow tracking server (automl export mlflow runs/<experiment>) or a trial as ONNX (automl export onnx runs/<experiment>/trials/<id> -o model.onnx)", cmdExport})
}

func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "onnx" {
		return cmdExportONNX(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("export", stderr)
	uri := fs.String("tracking-uri", "", "MLflow tracking server, e.g. http://localhost:5000 (default $MLFLOW_TRACKING_URI)")
	name := fs.String("experiment-name", "", "MLflow experiment to log into (default: the experiment's name)")
	regName := fs.String("register-model", "", "register the best trial's model under this name, as a new version")
	alias := fs.String("alias", "champion", "with --register-model, the alias pointed at the registered version (\"\" for none)")
	timeout := fs.Duration("timeout", 0, "time bound on the whole export (0 = none); run it again to resume")
	workers := fs.Int("workers", 4, "trial runs exported at once")
	verbose := fs.Bool("v", false, "log each exported run")
	withBinary := fs.Bool("include-binary", false, "copy this automl binary into each MLflow Model (bin/automl), so its python_function flavor scores where automl is not installed")
	withONNX := fs.Bool("onnx", false, "add model.onnx, the model as one ONNX graph, to each MLflow Model (families ONNX expresses exactly)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: automl export mlflow runs/<experiment> [--tracking-uri URL] [--experiment-name N] [--register-model NAME]")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args, 2)
	if err != nil {
		return err
	}
	if len(pos) == 0 || pos[0] != "mlflow" {
		return usagef("expected a target and a folder: automl export mlflow runs/<experiment> or automl export onnx runs/<experiment>/trials/<id> (mlflow and onnx are the only targets)")
	}
	if len(pos) != 2 {
		return usagef("expected the experiment folder: automl export mlflow runs/<experiment>")
	}
	if *workers < 1 {
		return usagef("--workers %d: expected at least 1", *workers)
	}
	if *timeout < 0 {
		return usagef("--timeout %v is negative", *timeout)
	}
	c, err := mlflow.NewClient(*uri)
	if err != nil {
		return usageError{err.Error() + " (give --tracking-uri)"}
	}
	opt := mlflow.ExportOptions{ExperimentName: *name, RegisterModel: *regName, Alias: *alias, Workers: *workers,
		ONNX: *withONNX, Producer: binaryVersion()}
	if *withBinary {
		if opt.Binary, err = os.Executable(); err != nil {
			return fmt.Errorf("--include-binary: %w", err)
		}
	}
	if *verbose {
		opt.Logger = slog.New(slog.NewTextHandler(stderr, nil))
		c.Logger = opt.Logger
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	start := time.Now()
	rep, err := mlflow.Export(ctx, c, pos[1], opt)
	if err != nil {
		if rep != nil {
			fmt.Fprintf(stderr, "exported %d trial run(s) before the error; run the same command again to finish\n", rep.Exported)
		}
		return err
	}
	fmt.Fprintf(stdout, "mlflow experiment %s, parent run %s: %d trial run(s) exported, %d already complete\n",
		rep.ExperimentID, rep.ParentRunID, rep.Exported, rep.Skipped)
	if rep.ModelVersion != nil {
		fmt.Fprintf(stdout, "registered model %s version %s (source %s)\n", rep.ModelVersion.Name, rep.ModelVersion.Version, rep.ModelVersion.Source)
	}
	fmt.Fprintf(stderr, "exported in %.1fs\n", time.Since(start).Seconds())
	return nil
}
