package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/dataset"
)

func cmdProfile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("profile", stderr)
	data := fs.String("data", "", "data file to profile: CSV (or .csv.gz), Parquet, or a directory of Parquet parts (or give it as the argument)")
	jsonOut := fs.Bool("json", false, "print the profile as JSON")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		*data = pos[0]
	}
	if *data == "" {
		return usagef("expected a CSV file: automl profile data.csv")
	}
	f, err := dataset.ReadContext(ctx, *data, dataset.Options{Progress: readBar(stderr, *data, *jsonOut)})
	if err != nil {
		return err
	}
	p := dataset.ProfileFrame(f)
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	fmt.Fprintf(stdout, "%s: %d rows, %d columns, sha256 %s\n", f.Path, p.Rows, len(p.Columns), f.SHA256)
	fmt.Fprintf(stdout, "format %s%s; typed data hash %s\n\n", f.Format, dialect(f), f.DataHash())
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "column\tkind\tmissing\tdistinct\tmin\tmean\tmax\ttop values")
	for _, c := range p.Columns {
		var top []string
		for i, v := range c.Top {
			if i == 3 {
				break
			}
			top = append(top, fmt.Sprintf("%s (%d)", v.Value, v.Count))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\n", c.Name, c.Kind, c.Missing, c.Distinct,
			num(c.Min, c.Kind), num(c.Mean, c.Kind), num(c.Max, c.Kind), strings.Join(top, ", "))
	}
	tw.Flush()
	if len(p.Alerts) > 0 {
		fmt.Fprintln(stdout, "\nalerts:")
		for _, a := range p.Alerts {
			fmt.Fprintf(stdout, "  %s: %s\n", a.Code, a.Message)
		}
	}
	return nil
}

func num(v float64, k dataset.Kind) string {
	if k != dataset.Numeric && k != dataset.Boolean || math.IsNaN(v) {
		return ""
	}
	return fmt.Sprintf("%.4g", v)
}

func cmdLeaderboard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("leaderboard", stderr)
	top := fs.Int("top", 0, "show only the best N trials (0 = all)")
	csvOut := fs.Bool("csv", false, "print CSV with every metric")
	dir, err := parseExperiment(fs, args, "automl leaderboard runs/<experiment> [--top N] [--csv]")
	if err != nil {
		return err
	}
	st, err := automl.OpenStore(dir)
	if err != nil {
		return err
	}
	e, err := st.Experiment()
	if err != nil {
		return err
	}
	trials, err := st.Trials()
	if err != nil {
		return err
	}
	if *csvOut {
		return automl.WriteLeaderboardCSV(stdout, trials, e.Config.Metric)
	}
	fmt.Fprintf(stdout, "%s: %s, target %q, %d trials, status %s", e.Name, e.Data.Path, e.Target.Column, len(trials), e.Status)
	if e.StopReason != "" {
		fmt.Fprintf(stdout, " (%s)", e.StopReason)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout)
	return automl.WriteLeaderboard(stdout, trials, e.Config.Metric, *top)
}

// dialect describes what was detected in a delimited file: encoding,
// delimiter, decimal comma.
func dialect(f *dataset.Frame) string {
	if f.Delimiter == 0 {
		return ""
	}
	d := fmt.Sprintf(", encoding %s, delimiter %q", f.Encoding, f.Delimiter)
	if f.DecimalComma {
		d += ", decimal comma"
	}
	return d
}
