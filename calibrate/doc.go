// Package calibrate makes predicted probabilities honest on held-out data and
// picks a binary decision threshold.
//
// Models trained with class weights (the guardrail for imbalanced targets)
// rank well but report probabilities shifted towards the small class. The
// calibrators here are fitted on a trial's validation or out-of-fold
// probabilities, never on its training rows:
//
//   - Prior: undoes the shift that class weights w_k cause, p_k ∝ p_k / w_k
//     (the weighted training saw class k with prior π_k·w_k);
//   - Platt: a sigmoid of the probability, fitted as scikit-learn's
//     CalibratedClassifierCV(method="sigmoid") does (Platt 2000, with his
//     smoothed targets);
//   - Isotonic: a monotone step function through pool-adjacent-violators,
//     as scikit-learn's IsotonicRegression(out_of_bounds="clip") predicts;
//   - Temperature (multiclass targets): every log-probability of a row
//     divided by one fitted T, then the softmax (Guo et al. 2017); it
//     softens or sharpens a whole row without changing its ranking.
//
// Platt and isotonic calibrate multiclass probabilities one class against
// the rest and renormalise; binary ones through the positive class. Choose picks the
// method whose cross-validated log loss on the held-out rows is lowest.
package calibrate
