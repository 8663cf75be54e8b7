package tree

import "fmt"

// The Validate methods make the params types models.Params. They cover only
// what is plainly out of range for any data; building a model may check more.

func checkCriterion(c string) error {
	if c != "gini" && c != "entropy" {
		return fmt.Errorf("criterion %q, want gini or entropy", c)
	}
	return nil
}

func checkBins(b int) error {
	if b < 2 || b > 255 {
		return fmt.Errorf("max_bins %d, want 2..255", b)
	}
	return nil
}

func checkFraction(name string, v float64) error {
	if !(v >= 0 && v <= 1) {
		return fmt.Errorf("%s %v, want 0..1", name, v)
	}
	return nil
}

// Validate checks the params of a decision tree.
func (p *TreeParams) Validate() error {
	if err := checkCriterion(p.Criterion); err != nil {
		return err
	}
	switch {
	case p.MaxDepth < 0:
		return fmt.Errorf("max_depth %d, want >= 0 (0 = no limit)", p.MaxDepth)
	case p.MaxLeaves < 0 || p.MaxLeaves == 1:
		return fmt.Errorf("max_leaves %d, want 0 (no limit) or >= 2", p.MaxLeaves)
	case p.MinSamplesLeaf < 1:
		return fmt.Errorf("min_samples_leaf %d, want >= 1", p.MinSamplesLeaf)
	case !(p.MinGain >= 0):
		return fmt.Errorf("min_gain %v, want >= 0", p.MinGain)
	}
	return checkBins(p.MaxBins)
}

// Validate checks the params of a random forest or extra-trees ensemble.
func (p *ForestParams) Validate() error {
	if p.Trees < 1 {
		return fmt.Errorf("trees %d, want >= 1", p.Trees)
	}
	if err := (&TreeParams{Criterion: p.Criterion, MaxDepth: p.MaxDepth,
		MaxLeaves: p.MaxLeaves, MinSamplesLeaf: p.MinSamplesLeaf, MaxBins: p.MaxBins}).Validate(); err != nil {
		return err
	}
	if err := checkFraction("max_features", p.MaxFeatures); err != nil {
		return err
	}
	return checkFraction("max_samples", p.MaxSamples)
}

// Validate checks the params of gradient-boosted trees.
func (p *GBDTParams) Validate() error {
	switch {
	case p.Rounds < 1:
		return fmt.Errorf("rounds %d, want >= 1", p.Rounds)
	case !(p.LearningRate > 0):
		return fmt.Errorf("learning_rate %v, want > 0", p.LearningRate)
	case p.NumLeaves < 2:
		return fmt.Errorf("num_leaves %d, want >= 2", p.NumLeaves)
	case p.MaxDepth < 0:
		return fmt.Errorf("max_depth %d, want >= 0 (0 = no limit)", p.MaxDepth)
	case p.Growth != "leafwise" && p.Growth != "depthwise":
		return fmt.Errorf("growth %q, want leafwise or depthwise", p.Growth)
	case p.Binning != "" && p.Binning != BinQuantile && p.Binning != BinGreedy:
		return fmt.Errorf("binning %q, want %s or %s", p.Binning, BinQuantile, BinGreedy)
	case p.MinDataInLeaf < 0:
		return fmt.Errorf("min_data_in_leaf %d, want >= 0", p.MinDataInLeaf)
	case !(p.MinSumHessian >= 0), !(p.L1 >= 0), !(p.L2 >= 0), !(p.MinGainToSplit >= 0):
		return fmt.Errorf("min_sum_hessian, l1, l2 and min_gain_to_split must be >= 0")
	case p.BaggingFreq < 0:
		return fmt.Errorf("bagging_freq %d, want >= 0", p.BaggingFreq)
	case p.EarlyStoppingRounds < 0:
		return fmt.Errorf("early_stopping_rounds %d, want >= 0", p.EarlyStoppingRounds)
	}
	for _, f := range []struct {
		n string
		v float64
	}{{"feature_fraction", p.FeatureFraction}, {"feature_fraction_by_node", p.FeatureFractionByNode},
		{"bagging_fraction", p.BaggingFraction}} {
		if err := checkFraction(f.n, f.v); err != nil {
			return err
		}
	}
	return checkBins(p.MaxBins)
}
