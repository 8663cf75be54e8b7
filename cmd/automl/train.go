package main

import (
	"context"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/finish"
	"github.com/goautoml/automl/models"
)

func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	started := time.Now()
	fs := newFlags("train", stderr)
	var c configFlags
	c.register(fs, false)
	family := fs.String("model", "", "model family: "+familyList())
	var params, prep listFlag
	fs.Var((*repeatFlag)(&params), "param", "model hyperparameter key=value (repeatable), e.g. --param rounds=200")
	fs.Var((*repeatFlag)(&prep), "prep", "preprocessing setting key=value (repeatable): numeric_impute, scale, categorical_impute, encoding, max_categories")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	if *family == "" {
		return usagef("--model is required: one of %s", familyList())
	}
	f := models.Family(*family)
	if _, ok := models.Lookup(f); !ok {
		return usagef("--model %q: expected one of %s", *family, familyList())
	}
	cfg := c.config()
	cfg.MaxTrials = 1
	cfg.Include = []models.Family{f}
	if err := cfg.Validate(); err != nil {
		return usageError{err.Error()}
	}
	fo, err := c.finish.options(cfg.Workers, nil)
	if err != nil {
		return err
	}
	p, err := automl.Prepare(cfg)
	if err != nil {
		return err
	}
	fo.Data = p.Data
	spec := automl.DefaultTrial(p, f)
	if err := setFields(automl.ModelParams(spec.Model), params, "--param"); err != nil {
		return err
	}
	if err := setFields(&spec.Prep, prep, "--prep"); err != nil {
		return err
	}
	if err := spec.Model.Validate(); err != nil {
		return usageError{err.Error()}
	}
	if err := spec.Prep.Validate(); err != nil {
		return usageError{err.Error()}
	}
	if !c.jsonOut && !c.quiet {
		printGuardrails(stderr, p.Experiment)
	}
	step := finish.Start(fo, started, cfg.Timeout)
	bar := newProgress(stderr, c.quiet || c.jsonOut)
	res, err := automl.RunPrepared(ctx, p, step.Search(ctx, automl.Options{Searcher: automl.Fixed(spec), OnTrial: bar.trial, OnStart: bar.start}))
	bar.done()
	if err != nil {
		step.Run(ctx, nil)
		return err
	}
	rep := finishRun(ctx, step, res, c.quiet, stderr)
	var fit *float64
	if len(res.Trials) > 0 {
		v := res.Trials[0].Timing.FitSeconds
		fit = &v
		if res.Trials[0].Status != "ok" && !c.jsonOut {
			return fmt.Errorf("trial failed: %s", res.Trials[0].Error)
		}
	}
	return report(res, rep, c.jsonOut, fit, stdout)
}

// repeatFlag collects every occurrence of a flag as is (values may hold commas).
type repeatFlag []string

func (r *repeatFlag) String() string     { return strings.Join(*r, " ") }
func (r *repeatFlag) Set(s string) error { *r = append(*r, s); return nil }

// setFields sets fields of the struct dst points to from key=value pairs,
// keys being the fields' JSON names.
func setFields(dst any, pairs []string, flagName string) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("%s: nothing to set", flagName)
	}
	v = v.Elem()
	fields := map[string]reflect.Value{}
	var names []string
	for i := range v.NumField() {
		tag := strings.Split(v.Type().Field(i).Tag.Get("json"), ",")[0]
		if tag == "" || tag == "-" {
			continue
		}
		switch v.Field(i).Kind() {
		case reflect.Bool, reflect.Int, reflect.Float64, reflect.String:
			fields[tag] = v.Field(i)
			names = append(names, tag)
		}
	}
	for _, p := range pairs {
		key, val, ok := strings.Cut(p, "=")
		if !ok {
			return usagef("%s %q: expected key=value", flagName, p)
		}
		f, ok := fields[strings.TrimSpace(key)]
		if !ok {
			return usagef("%s %q: unknown key; expected one of %s", flagName, key, strings.Join(names, ", "))
		}
		val = strings.TrimSpace(val)
		bad := func(what string) error { return usagef("%s %s=%q: expected %s", flagName, key, val, what) }
		switch f.Kind() {
		case reflect.Bool:
			b, err := strconv.ParseBool(val)
			if err != nil {
				return bad("true or false")
			}
			f.SetBool(b)
		case reflect.Int:
			n, err := strconv.Atoi(val)
			if err != nil {
				return bad("a whole number")
			}
			f.SetInt(int64(n))
		case reflect.Float64:
			x, err := strconv.ParseFloat(val, 64)
			if err != nil {
				return bad("a number")
			}
			f.SetFloat(x)
		case reflect.String:
			f.SetString(val)
		}
	}
	return nil
}
