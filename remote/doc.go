// Package remote runs an experiment's trials on a pool of worker processes
// through NATS JetStream: a work-queue stream carries trial messages to
// workers, an object store carries the prepared data (by sha256) and each
// trial's artifacts (bundle, predictions), a results stream carries the
// finished trial records back, and a key-value bucket holds the workers'
// heartbeats.
//
// The coordinator side is Executor, an automl.Executor: the search (ask /
// tell), the budgets and the commit in trial-ID order stay in package
// automl, exactly as with the local executor. The worker side is Worker,
// which rebuilds an experiment's data from its config and the data bytes,
// and runs each trial with the same code as the local executor, so a trial
// gives the same record wherever it runs.
package remote
