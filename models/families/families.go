// Package families registers the built-in model families: import it for
// its side effect wherever specs are built, fitted or loaded.
//
//	import _ "github.com/goautoml/automl/models/families"
//
// The opt-in golearn family is not among them: see models/golearn.
package families

import (
	// Each import registers one family (models.Register in its init).
	_ "github.com/goautoml/automl/models/decisiontree"
	_ "github.com/goautoml/automl/models/extratrees"
	_ "github.com/goautoml/automl/models/gbdt"
	_ "github.com/goautoml/automl/models/knn"
	_ "github.com/goautoml/automl/models/logistic"
	_ "github.com/goautoml/automl/models/naivebayes"
	_ "github.com/goautoml/automl/models/randomforest"
)
