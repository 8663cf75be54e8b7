package tree

// The zero tag of a field says what its zero value means, for people (the
// web UI's parameter lists): "max depth: unlimited", not "max depth: 0".

// TreeParams are the hyperparameters of a single classification tree.
type TreeParams struct {
	Criterion         string  `json:"criterion"`                   // "gini" | "entropy"
	MaxDepth          int     `json:"max_depth" zero:"unlimited"`  // 0 = no limit
	MaxLeaves         int     `json:"max_leaves" zero:"unlimited"` // 0 = no limit
	MinSamplesLeaf    int     `json:"min_samples_leaf"`            // at least 1
	MinGain           float64 `json:"min_gain"`                    // minimum impurity decrease to split
	MaxBins           int     `json:"max_bins"`                    // histogram bins per feature, at most 255
	CategoricalSplits bool    `json:"categorical_splits"`          // native splits on ordinal category codes
}

// ForestParams are the hyperparameters of a random forest or extra-trees ensemble.
type ForestParams struct {
	Trees             int     `json:"trees"`
	Criterion         string  `json:"criterion"`                                       // "gini" | "entropy"
	MaxDepth          int     `json:"max_depth" zero:"unlimited"`                      // 0 = no limit
	MaxLeaves         int     `json:"max_leaves" zero:"unlimited"`                     // 0 = no limit
	MinSamplesLeaf    int     `json:"min_samples_leaf"`                                // at least 1
	MaxFeatures       float64 `json:"max_features" zero:"square root of the features"` // fraction of features tried per node; 0 = sqrt(p)/p
	Bootstrap         bool    `json:"bootstrap"`                                       // sample rows with replacement per tree
	MaxSamples        float64 `json:"max_samples" zero:"all rows"`                     // fraction of rows per tree when bootstrapping; 0 = 1
	MaxBins           int     `json:"max_bins"`                                        // at most 255
	CategoricalSplits bool    `json:"categorical_splits"`                              // native splits on ordinal category codes
}

// GBDTParams are the hyperparameters of gradient-boosted trees.
type GBDTParams struct {
	Rounds                int     `json:"rounds"`
	LearningRate          float64 `json:"learning_rate"`
	NumLeaves             int     `json:"num_leaves"`
	MaxDepth              int     `json:"max_depth" zero:"unlimited"` // 0 = no limit
	Growth                string  `json:"growth"`                     // "leafwise" | "depthwise"
	MinDataInLeaf         int     `json:"min_data_in_leaf"`
	MinSumHessian         float64 `json:"min_sum_hessian"`
	L1                    float64 `json:"l1"`
	L2                    float64 `json:"l2"`
	MinGainToSplit        float64 `json:"min_gain_to_split"`
	FeatureFraction       float64 `json:"feature_fraction" zero:"all"`         // per tree; 0 or 1 = all
	FeatureFractionByNode float64 `json:"feature_fraction_by_node" zero:"all"` // per node; 0 or 1 = all
	BaggingFraction       float64 `json:"bagging_fraction" zero:"all rows"`    // 0 or 1 = all rows
	BaggingFreq           int     `json:"bagging_freq" zero:"never"`           // resample rows every k rounds; 0 = never
	MaxBins               int     `json:"max_bins"`                            // at most 255
	Binning               string  `json:"binning,omitempty" zero:"greedy"`     // BinQuantile | BinGreedy ("" = greedy)
	EarlyStoppingRounds   int     `json:"early_stopping_rounds" zero:"off"`    // 0 = off; needs a validation set
	CategoricalSplits     bool    `json:"categorical_splits"`                  // native splits on ordinal category codes
}
