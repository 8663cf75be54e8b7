// Package onnx writes a fitted pipeline (preprocessing and classifier, or a
// weighted bundle of them) as one ONNX model, so that ONNX Runtime, Triton or
// a browser can score it without this program.
//
// The graph has one input per CSV column the pipeline reads, named as the
// column: numeric and boolean columns are double tensors of shape [N, 1] (NaN
// is a missing value; booleans are 0 or 1), categorical columns are string
// tensors of shape [N, 1] (an empty string or a missing marker such as "NA" is
// a missing value; a category unseen in training is encoded as the pipeline
// encodes it). Its outputs are "probabilities", a double tensor [N, classes]
// in the bundle's class order, and "label", the string class with the highest
// probability (the first on ties, as `automl predict` picks it).
//
// Every number is computed in double precision, so the graph reproduces the
// Go scorer to rounding: imputation is IsNaN and Where, scaling Sub and Div,
// categories go through ai.onnx.ml LabelEncoder and OneHotEncoder, tree
// families through ai.onnx.ml TreeEnsemble (opset 5, double thresholds and
// leaf weights; categorical splits as BRANCH_MEMBER sets), logistic
// regression through MatMul, naive Bayes through its log-likelihood written
// with standard operators. The float32 attributes of ai.onnx.ml's Imputer,
// Scaler and LinearClassifier would round the fitted values, so they are not
// used. k-nearest neighbours and datetime inputs are refused with
// ErrUnsupported: ONNX has no exact equivalent of their tie rules and date
// parsing.
//
// The protobuf encoding is written by hand (proto.go) for the few messages
// a model needs; no generated code is involved.
package onnx
