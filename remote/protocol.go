package remote

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"time"

	"github.com/goautoml/automl/automl"
)

// Version is the protocol version written in every message's "v" field. A
// worker refuses (and hands back) messages of a newer version; a change
// that old workers would misread must increase it.
const Version = 1

// Names of the JetStream streams, consumer and buckets, shared by every
// experiment; subjects carry the experiment's token.
const (
	TrialStream    = "AUTOML_TRIALS"  // work queue of trial messages
	ResultStream   = "AUTOML_RESULTS" // finished trial records
	WorkerConsumer = "automl-workers" // the durable pull consumer every worker shares
	DataBucket     = "automl-data"    // experiment data, by sha256
	WorkersBucket  = "automl-workers" // key-value: worker heartbeats
	// artifactPrefix + token is an experiment's object store of trial
	// artifacts (bundle.tar, predictions), deleted when its run ends.
	artifactPrefix = "automl-art-"
)

// Subjects. <tok> is an experiment's token (see Token), <id> a trial ID.
const (
	trialSubjects  = "automl.trial.>"  // automl.trial.<tok>.<id>
	resultSubjects = "automl.result.>" // automl.result.<tok>
	cancelSubjects = "automl.cancel.>" // automl.cancel.<tok>: core NATS, not stored
	noticeSubjects = "automl.notice.>" // automl.notice.<tok>: a worker's refusal, core NATS
)

func trialSubject(tok string, id int) string { return "automl.trial." + tok + "." + strconv.Itoa(id) }
func resultSubject(tok string) string        { return "automl.result." + tok }
func cancelSubject(tok string) string        { return "automl.cancel." + tok }
func noticeSubject(tok string) string        { return "automl.notice." + tok }
func artifactBucket(tok string) string       { return artifactPrefix + tok }

// maxDeliveriesSubject is where the server announces a trial message that
// reached the consumer's MaxDeliver without an ack.
const maxDeliveriesSubject = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + TrialStream + "." + WorkerConsumer

var plainToken = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Token is an experiment name made safe for a subject token, a bucket name
// and an object name: the name itself when it is made of letters, digits,
// '-' and '_', else its safe characters followed by a hash of the name.
func Token(name string) string {
	if plainToken.MatchString(name) {
		return name
	}
	safe := []byte{}
	for i := 0; i < len(name) && len(safe) < 40; i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			safe = append(safe, c)
		} else {
			safe = append(safe, '_')
		}
	}
	sum := sha256.Sum256([]byte(name))
	return string(safe) + "-" + hex.EncodeToString(sum[:6])
}

// TrialMsg asks a worker to run one trial. It carries everything a worker
// needs to rebuild the experiment's data: the config (as recorded in
// experiment.json) and the data's sha256, under which the bytes are in
// DataBucket.
type TrialMsg struct {
	V          int              `json:"v"`
	Experiment string           `json:"experiment"`
	Token      string           `json:"token"`
	Config     automl.Config    `json:"config"`
	Data       DataRef          `json:"data"`
	Spec       automl.TrialSpec `json:"spec"`
	// Prepared fingerprints the data as the coordinator prepared it (plan
	// and split sizes): a worker whose preparation differs refuses to run
	// rather than record a different trial.
	Prepared string `json:"prepared"`
	// Sent is when the coordinator published the message (dispatch latency).
	Sent time.Time `json:"sent"`
}

// DataRef names an experiment's data in DataBucket.
type DataRef struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Ext is the data file's extension, kept so a worker reads its cached
	// copy with the same reader as the coordinator.
	Ext string `json:"ext"`
}

// ResultMsg is a finished trial, published by the worker that ran it.
type ResultMsg struct {
	V      int          `json:"v"`
	Worker string       `json:"worker"`
	Trial  automl.Trial `json:"trial"`
	// Bundle and Predictions name objects in the experiment's artifact
	// bucket; empty when the trial failed.
	Bundle      string `json:"bundle,omitempty"`
	Predictions string `json:"predictions,omitempty"`
	// Received is when the worker got the trial message.
	Received time.Time `json:"received"`
}

// CancelMsg tells workers to stop a trial (ID >= 0) or every trial of the
// experiment (ID < 0).
type CancelMsg struct {
	V          int    `json:"v"`
	Experiment string `json:"experiment"`
	ID         int    `json:"id"`
}

// NoticeMsg is a worker's refusal of a trial message it cannot run (a newer
// protocol, data it cannot prepare the same way); the coordinator reports it.
type NoticeMsg struct {
	V       int    `json:"v"`
	Worker  string `json:"worker"`
	ID      int    `json:"id"`
	Message string `json:"message"`
}

// Heartbeat is a worker's entry in WorkersBucket, refreshed every few
// seconds; it expires when the worker stops.
type Heartbeat struct {
	V           int       `json:"v"`
	Name        string    `json:"name"`
	Host        string    `json:"host"`
	Cores       int       `json:"cores"`
	Concurrency int       `json:"concurrency"`
	Version     string    `json:"version"` // the program's version
	Done        int       `json:"done"`    // trials finished since the worker started
	Current     []string  `json:"current"` // "<experiment>/<trial>" in flight
	Started     time.Time `json:"started"`
	Seen        time.Time `json:"seen"`
}

// versionOf reads only the "v" field of a message.
type versionOf struct {
	V int `json:"v"`
}

// fingerprint sums up how an experiment's data was prepared: the plan and
// the split's sizes, which follow from the config and the data bytes.
func fingerprint(e *automl.Experiment) string {
	b, _ := json.Marshal(struct {
		SHA256  string
		Split   automl.SplitInfo
		Columns any
		Weights []float64
		MaxCat  int
		Skip    any
	}{e.Data.SHA256, e.Split, e.Plan.Columns, e.Plan.ClassWeights, e.Plan.MaxCategories, e.Plan.Skip})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}

// encodePredictions packs p as little-endian binary: rows, classes, row
// indices (int64) and probabilities (float64).
func encodePredictions(p *automl.Predictions) []byte {
	b := make([]byte, 0, 16+8*len(p.Rows)+8*len(p.Prob))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(p.Rows)))
	b = binary.LittleEndian.AppendUint64(b, uint64(p.Classes))
	for _, r := range p.Rows {
		b = binary.LittleEndian.AppendUint64(b, uint64(r))
	}
	for _, v := range p.Prob {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b
}

func decodePredictions(b []byte) (*automl.Predictions, error) {
	if len(b) < 16 {
		return nil, errors.New("predictions: truncated header")
	}
	n, k := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
	if k == 0 || k > 1<<20 || n > uint64(len(b)) || uint64(len(b)) != 16+8*n+8*n*k {
		return nil, fmt.Errorf("predictions: %d bytes do not hold %d rows of %d classes", len(b), n, k)
	}
	p := &automl.Predictions{Rows: make([]int, n), Classes: int(k), Prob: make([]float64, n*k)}
	b = b[16:]
	for i := range p.Rows {
		p.Rows[i] = int(binary.LittleEndian.Uint64(b[8*i:]))
	}
	b = b[8*n:]
	for i := range p.Prob {
		p.Prob[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return p, nil
}
