package serving

import "testing"

// TrainedBundleForTests trains (once) the small mixed-kind bundle the
// examples serve.
func TrainedBundleForTests() string { return mixedBundle(&testing.T{}) }
