package golearn_test

import (
	"fmt"
	"math"

	"github.com/sjwhitworth/golearn/base"
)

// nearestCentroid is the kind of golearn classifier a user writes: it
// implements base.Classifier, predicts labels only (the class of the
// nearest class mean) and serializes itself with golearn's serializer.
type nearestCentroid struct {
	Classes   []string    `json:"classes"`
	Centroids [][]float64 `json:"centroids"`
}

func (c *nearestCentroid) features(g base.FixedDataGrid) ([]base.Attribute, []base.AttributeSpec, error) {
	// Not base.NonClassAttributes: it returns them in map order.
	var attrs []base.Attribute
	for _, a := range g.AllAttributes() {
		if a.GetName() != "class" {
			attrs = append(attrs, a)
		}
	}
	specs := make([]base.AttributeSpec, len(attrs))
	for j, a := range attrs {
		if _, ok := a.(*base.FloatAttribute); !ok {
			return nil, nil, fmt.Errorf("attribute %s is not a float", a.GetName())
		}
		s, err := g.GetAttribute(a)
		if err != nil {
			return nil, nil, err
		}
		specs[j] = s
	}
	return attrs, specs, nil
}

func (c *nearestCentroid) Fit(g base.FixedDataGrid) error {
	_, specs, err := c.features(g)
	if err != nil {
		return err
	}
	index := map[string]int{}
	var counts []float64
	c.Classes, c.Centroids = nil, nil
	err = g.MapOverRows(specs, func(row [][]byte, i int) (bool, error) {
		cls := base.GetClass(g, i)
		k, ok := index[cls]
		if !ok {
			k = len(c.Classes)
			index[cls] = k
			c.Classes = append(c.Classes, cls)
			c.Centroids = append(c.Centroids, make([]float64, len(specs)))
			counts = append(counts, 0)
		}
		for j := range specs {
			c.Centroids[k][j] += base.UnpackBytesToFloat(row[j])
		}
		counts[k]++
		return true, nil
	})
	for k := range c.Centroids {
		for j := range c.Centroids[k] {
			c.Centroids[k][j] /= counts[k]
		}
	}
	return err
}

func (c *nearestCentroid) Predict(g base.FixedDataGrid) (base.FixedDataGrid, error) {
	_, specs, err := c.features(g)
	if err != nil {
		return nil, err
	}
	out := base.GeneratePredictionVector(g)
	err = g.MapOverRows(specs, func(row [][]byte, i int) (bool, error) {
		best, bestD := 0, math.Inf(1)
		for k, ctr := range c.Centroids {
			d := 0.0
			for j := range specs {
				x := base.UnpackBytesToFloat(row[j]) - ctr[j]
				d += x * x
			}
			if d < bestD {
				best, bestD = k, d
			}
		}
		base.SetClass(out, i, c.Classes[best])
		return true, nil
	})
	return out, err
}

func (c *nearestCentroid) String() string { return "nearestCentroid" }

func (c *nearestCentroid) GetMetadata() base.ClassifierMetadataV1 {
	return base.ClassifierMetadataV1{FormatVersion: 1, ClassifierName: "nearestCentroid", ClassifierVersion: "1"}
}

func (c *nearestCentroid) Save(string) error { return fmt.Errorf("use SaveWithPrefix") }
func (c *nearestCentroid) Load(string) error { return fmt.Errorf("use LoadWithPrefix") }

func (c *nearestCentroid) SaveWithPrefix(w *base.ClassifierSerializer, prefix string) error {
	return w.WriteJSONForKey(w.Prefix(prefix, "centroids"), c)
}

func (c *nearestCentroid) LoadWithPrefix(r *base.ClassifierDeserializer, prefix string) error {
	return r.GetJSONForKey(r.Prefix(prefix, "centroids"), c)
}
