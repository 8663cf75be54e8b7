// Package finish is the step after a search, the same for every front end:
// it explains the best trials, writes the notebooks and logs the experiment
// to MLflow, within the run's time budget.
//
// Budget semantics. A run's time budget (automl run --timeout, the web UI's
// budget) bounds the whole command: reading the data, preparing it, the
// search and this step. When the step has work to do, a share of the budget
// (Options.Share) is kept back from the search (automl.Options.Reserve) and
// the step must end when the budget does; what it could not make in time is
// listed in the Report and can be made later (automl explain, automl
// notebook, automl export mlflow). Without a time budget, Options.Timeout
// bounds the explanations and notebooks, and MLflow.Timeout the logging.
//
// A front end uses it in three calls:
//
//	step := finish.Start(ctx, opt, started, cfg.Timeout)
//	res, err := automl.RunPrepared(ctx, p, step.Search(automl.Options{...}))
//	rep, err := step.Run(ctx, res)
//
// Run alone finishes an experiment folder that was searched earlier.
package finish
