// Package metrics scores classifier outputs the way scikit-learn 1.2.1 does.
//
// It covers ROC AUC (binary and one-vs-rest macro), the ROC and
// precision-recall curves, average precision, log loss, accuracy, balanced
// accuracy, precision / recall / F1 (binary and macro), the confusion matrix
// and the calibration curve. Every function is checked against outputs of
// scikit-learn 1.2.1 saved in testdata/ (see testdata/README.md).
//
// Conventions shared by all functions:
//
//   - y holds class indices 0..K-1; for binary metrics pos is the index of
//     the positive class and every other label counts as negative.
//   - P is an n×K matrix of class probabilities, one row per sample.
//   - Scores are ranked with ties grouped, as sklearn does: curve points sit
//     only at distinct score values.
//   - A metric that is undefined for its input (ROC AUC when y holds one
//     class, any score when a score is NaN) is NaN; Evaluate leaves such
//     metrics out of its map so that its output is always valid JSON.
//   - Sums that sklearn computes with numpy are computed with numpy's
//     pairwise summation, so results agree with sklearn to the last bit or
//     within a few units in the last place.
//   - Mismatched lengths and labels outside 0..K-1 are programmer errors and
//     panic with a message saying which.
package metrics
