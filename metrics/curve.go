package metrics

import (
	"fmt"
	"math"

	"github.com/goautoml/automl/internal/floatsort"
)

// counts holds, for each distinct score in decreasing order, how many
// negatives (fps) and positives (tps) score at least that much: sklearn's
// _binary_clf_curve without sample weights.
type counts struct {
	fps, tps, thr []float64
}

// binaryCounts ranks score once (O(n log n)) and accumulates the counts. It
// returns ok=false when score is empty or holds a NaN.
func binaryCounts(y []int, score []float64, pos int) (c counts, ok bool) {
	if len(y) != len(score) {
		panic(fmt.Sprintf("metrics: %d labels but %d scores", len(y), len(score)))
	}
	if len(y) == 0 {
		return c, false
	}
	npos := 0
	for _, label := range y {
		if label == pos {
			npos++
		}
	}
	buf := make([]float64, len(score))
	p, n := buf[:0:npos], buf[npos:npos]
	for i, s := range score {
		if math.IsNaN(s) {
			return c, false
		}
		if y[i] == pos {
			p = append(p, s)
		} else {
			n = append(n, s)
		}
	}
	// A radix sort: several times faster than a comparison sort on the
	// validation rows of a large data set, where every trial's metrics
	// sort them a few times. (-0 and +0 may come in either order: they are
	// one distinct value below.)
	tmp := floatsort.Sort(p, nil)
	floatsort.Sort(n, tmp)
	distinct := countDistinct(p, n)
	cells := make([]float64, 3*distinct)
	c.fps = cells[:0:distinct]
	c.tps = cells[distinct : distinct : 2*distinct]
	c.thr = cells[2*distinct : 2*distinct : 3*distinct]
	// Walk both sorted lists from the top, one distinct value at a time.
	i, j := len(p)-1, len(n)-1
	tp, fp := 0, 0
	for i >= 0 || j >= 0 {
		var v float64
		switch {
		case i < 0:
			v = n[j]
		case j < 0:
			v = p[i]
		default:
			v = max(p[i], n[j])
		}
		for i >= 0 && p[i] == v {
			tp++
			i--
		}
		for j >= 0 && n[j] == v {
			fp++
			j--
		}
		c.fps = append(c.fps, float64(fp))
		c.tps = append(c.tps, float64(tp))
		c.thr = append(c.thr, v)
	}
	return c, true
}

// countDistinct counts the distinct values of two sorted slices together.
func countDistinct(a, b []float64) int {
	i, j, d := 0, 0, 0
	for i < len(a) || j < len(b) {
		var v float64
		switch {
		case i == len(a):
			v = b[j]
		case j == len(b):
			v = a[i]
		default:
			v = min(a[i], b[j])
		}
		for i < len(a) && a[i] == v {
			i++
		}
		for j < len(b) && b[j] == v {
			j++
		}
		d++
	}
	return d
}

func (c counts) positives() float64 { return c.tps[len(c.tps)-1] }
func (c counts) negatives() float64 { return c.fps[len(c.fps)-1] }

// roc turns counts into sklearn's roc_curve(drop_intermediate=True): points
// collinear with their neighbours are dropped, then (0, 0) is prepended with
// the threshold max(score)+1. A rate whose denominator is zero (no positives
// or no negatives) is NaN throughout, as in sklearn.
func (c counts) roc() (fpr, tpr, thresholds []float64) {
	m := len(c.fps)
	keep := make([]int, 0, m)
	if m > 2 {
		keep = append(keep, 0)
		for k := 1; k < m-1; k++ {
			if (c.fps[k+1]-c.fps[k])-(c.fps[k]-c.fps[k-1]) != 0 ||
				(c.tps[k+1]-c.tps[k])-(c.tps[k]-c.tps[k-1]) != 0 {
				keep = append(keep, k)
			}
		}
		keep = append(keep, m-1)
	} else {
		for k := range m {
			keep = append(keep, k)
		}
	}
	fpr = make([]float64, len(keep)+1)
	tpr = make([]float64, len(keep)+1)
	thresholds = make([]float64, len(keep)+1)
	nf, nt := c.negatives(), c.positives()
	thresholds[0] = c.thr[0] + 1
	fpr[0], tpr[0] = rate(0, nf), rate(0, nt)
	for o, k := range keep {
		fpr[o+1] = rate(c.fps[k], nf)
		tpr[o+1] = rate(c.tps[k], nt)
		thresholds[o+1] = c.thr[k]
	}
	return fpr, tpr, thresholds
}

func rate(x, total float64) float64 {
	if total <= 0 {
		return math.NaN()
	}
	return x / total
}

// auc is ROC AUC from counts: NaN unless both classes are present.
func (c counts) auc() float64 {
	if c.positives() == 0 || c.negatives() == 0 {
		return math.NaN()
	}
	fpr, tpr, _ := c.roc()
	return trapezoid(fpr, tpr)
}

// trapezoid integrates y over x as np.trapz does.
func trapezoid(x, y []float64) float64 {
	if len(x) < 2 {
		return 0
	}
	parts := make([]float64, len(x)-1)
	for i := range parts {
		parts[i] = (x[i+1] - x[i]) * (y[i+1] + y[i]) / 2.0
	}
	return sum(parts)
}

// pr is sklearn's precision_recall_curve: increasing thresholds, then a final
// point with precision 1 and recall 0 that has no threshold. With no
// positives recall is 1 at every threshold, as in sklearn.
func (c counts) pr() (precision, recall, thresholds []float64) {
	m := len(c.tps)
	precision = make([]float64, m+1)
	recall = make([]float64, m+1)
	thresholds = make([]float64, m)
	nt := c.positives()
	for k := range m {
		o := m - 1 - k
		if ps := c.tps[k] + c.fps[k]; ps != 0 {
			precision[o] = c.tps[k] / ps
		}
		if nt == 0 {
			recall[o] = 1
		} else {
			recall[o] = c.tps[k] / nt
		}
		thresholds[o] = c.thr[k]
	}
	precision[m] = 1
	recall[m] = 0
	return precision, recall, thresholds
}

// ap is sklearn's average precision: the step integral
// -Σ (recall[i+1]-recall[i]) · precision[i] over the PR curve.
func (c counts) ap() float64 {
	precision, recall, _ := c.pr()
	parts := make([]float64, len(recall)-1)
	for i := range parts {
		parts[i] = (recall[i+1] - recall[i]) * precision[i]
	}
	return -sum(parts)
}

// ROCCurve returns the ROC curve of score for the positive class pos, equal
// to sklearn.metrics.roc_curve(y == pos, score, drop_intermediate=True) in
// sklearn 1.2.1: points only at distinct scores, collinear points dropped,
// and a first point (0, 0) whose threshold is max(score)+1. With no
// negatives fpr is all NaN, with no positives tpr is all NaN. It returns
// nil slices when score is empty or holds a NaN.
func ROCCurve(y []int, score []float64, pos int) (fpr, tpr, thresholds []float64) {
	c, ok := binaryCounts(y, score, pos)
	if !ok {
		return nil, nil, nil
	}
	return c.roc()
}

// ROCAUC is the area under the ROC curve of score for the positive class
// pos (sklearn.metrics.roc_auc_score on y == pos). It is NaN when y holds
// only one of the two classes (sklearn raises an error there), when score
// is empty, and when score holds a NaN.
func ROCAUC(y []int, score []float64, pos int) float64 {
	c, ok := binaryCounts(y, score, pos)
	if !ok {
		return math.NaN()
	}
	return c.auc()
}

// PRCurve returns sklearn.metrics.precision_recall_curve(y == pos, score)
// of sklearn 1.2.1: thresholds are the distinct scores in increasing order;
// precision and recall have one more entry, the final point (1, 0). It
// returns nil slices when score is empty or holds a NaN.
func PRCurve(y []int, score []float64, pos int) (precision, recall, thresholds []float64) {
	c, ok := binaryCounts(y, score, pos)
	if !ok {
		return nil, nil, nil
	}
	return c.pr()
}

// AveragePrecision is sklearn.metrics.average_precision_score(y == pos,
// score): the precision at each threshold weighted by the recall gained
// there. With no positives it is 0, as in sklearn 1.2.1; it is NaN when
// score is empty or holds a NaN.
func AveragePrecision(y []int, score []float64, pos int) float64 {
	c, ok := binaryCounts(y, score, pos)
	if !ok {
		return math.NaN()
	}
	return c.ap()
}
