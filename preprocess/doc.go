// Package preprocess turns the typed columns of a dataset.Frame into a numeric
// matrix, the way scikit-learn's ColumnTransformer does with SimpleImputer,
// StandardScaler, OneHotEncoder and OrdinalEncoder.
//
// A Spec is a plain value (JSON) naming the input columns and the choices for
// each kind of column. Spec.Fit learns the fitted state, a Pipeline, from the
// training rows only; the Pipeline is itself a JSON value that holds everything
// needed to transform new data, either a whole Frame (Transform) or one record
// of raw strings on a scoring path (TransformRow).
//
// Per kind of column:
//
//   - numeric: impute missing values with the training mean or median, then,
//     with Spec.Scale, standardise with the training mean and population
//     standard deviation (a constant column is divided by 1, as sklearn does).
//   - boolean: 0/1, missing values imputed with the most frequent training
//     value (ties: 0). Never scaled.
//   - categorical: impute missing values with the most frequent training value
//     (ties: the lexically smallest, as sklearn) or a constant, then one-hot
//     encode (categories sorted bytewise, as sklearn sorts Python strings; an
//     unknown category gives all zeros) or ordinal encode (codes in the same
//     order; see ColumnState for unknown categories). Spec.MaxCategories keeps
//     only the most frequent categories and pools the rest into one "other"
//     bucket.
//   - datetime: five numeric parts (year, month, day, weekday with Monday = 0
//     as pandas, hour, all in UTC), each then imputed and scaled like a numeric
//     column.
//
// Text and ID columns are not accepted.
//
// Differences from scikit-learn worth knowing:
//
//   - A numeric column that is missing in every training row is imputed with
//     0 and kept (sklearn's keep_empty_features=True); a categorical one is
//     imputed with the fill value. sklearn's default drops such columns.
//   - MaxCategories = N keeps N categories plus the "other" bucket (N+1
//     outputs), whereas sklearn's max_categories counts the infrequent bucket
//     among its outputs; ties in frequency at the cut keep the lexically
//     smaller category, where sklearn keeps the larger. The bucket's one-hot
//     feature is named "col=__other__" (sklearn: "col_infrequent_sklearn").
//     With one-hot encoding an unknown category still gives all zeros
//     (sklearn's handle_unknown="ignore"), not the bucket.
//   - Ordinal encoding never emits NaN or -1 for an unknown category: it uses
//     the bucket's code when there is one, otherwise the code of the most
//     frequent training category, so tree models always see a valid code.
package preprocess
