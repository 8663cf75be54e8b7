// Command remote measures what running trials through NATS JetStream costs
// (make bench-remote): the same seeded search on German Credit, once on two
// local workers and once on two `automl worker` processes pulling from an
// embedded JetStream server on loopback, alternately for a few rounds. It
// prints trials per minute for each and the remote overhead, and the
// per-trial dispatch latency (coordinator's publish to a worker's receipt),
// p50 and p99.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/goautoml/automl/automl"
	"github.com/goautoml/automl/remote"
	"github.com/goautoml/automl/samples"
)

func main() {
	bin := flag.String("automl", "bin/automl", "the automl binary the workers run")
	trials := flag.Int("trials", 60, "trials per run")
	rounds := flag.Int("rounds", 2, "runs of each kind (alternating)")
	flag.Parse()
	if err := bench(*bin, *trials, *rounds); err != nil {
		log.Fatal(err)
	}
}

func bench(bin string, trials, rounds int) error {
	work, err := os.MkdirTemp("", "bench-remote-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	data := filepath.Join(work, "german.csv")
	if err := os.WriteFile(data, samples.GermanCredit, 0o644); err != nil {
		return err
	}
	url, stop, err := startServer(filepath.Join(work, "js"))
	if err != nil {
		return err
	}
	defer stop()
	for i := 1; i <= 2; i++ {
		w := exec.Command(bin, "worker", "--nats", url, "--concurrency", "1", "--name", "bench"+strconv.Itoa(i), "--cache", filepath.Join(work, "cache"+strconv.Itoa(i)))
		if err := w.Start(); err != nil {
			return fmt.Errorf("start %s worker: %w", bin, err)
		}
		defer func() { w.Process.Signal(os.Interrupt); w.Wait() }()
	}
	ctx := context.Background()
	conn, err := remote.Dial(ctx, remote.Config{URL: url, Name: "bench"})
	if err != nil {
		return err
	}
	defer conn.Close()
	for deadline := time.Now().Add(20 * time.Second); ; {
		if ws, _ := conn.Workers(ctx); len(ws) == 2 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the two workers did not start in 20 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	fmt.Printf("German Credit, %d trials a run, seed 7, %d rounds; 2 local workers against 2 NATS workers (concurrency 1) on the same %d cores\n",
		trials, rounds, runtime.NumCPU())
	var local, rem []float64
	var lat []time.Duration
	for r := range rounds {
		cfg := automl.Config{Data: data, Target: "class", Seed: 7, MaxTrials: trials, AutoCV: true, Workers: 2,
			RunsDir: filepath.Join(work, "runs"), Name: fmt.Sprintf("local-%d", r)}
		res, err := automl.Run(ctx, cfg, automl.Options{})
		if err != nil {
			return err
		}
		local = append(local, perMinute(res))
		cfg.Name = fmt.Sprintf("remote-%d", r)
		p, err := automl.Prepare(cfg)
		if err != nil {
			return err
		}
		x, err := remote.NewExecutor(ctx, conn, p.Experiment, remote.ExecutorOptions{})
		if err != nil {
			return err
		}
		res, err = automl.RunPrepared(ctx, p, automl.Options{Executor: x})
		x.Close()
		if err != nil {
			return err
		}
		rem = append(rem, perMinute(res))
		lat = append(lat, x.Latency()...)
		fmt.Printf("round %d: local %.1f trials/min, NATS %.1f trials/min\n", r+1, local[r], rem[r])
	}
	l, m := mean(local), mean(rem)
	fmt.Printf("local: %.1f trials/min\nNATS:  %.1f trials/min\noverhead: %.1f %%\n", l, m, 100*(l-m)/l)
	slices.Sort(lat)
	fmt.Printf("dispatch latency over %d trials (publish to a worker's receipt, loopback): p50 %v, p99 %v\n",
		len(lat), quantile(lat, 0.5).Round(time.Microsecond), quantile(lat, 0.99).Round(time.Microsecond))
	return nil
}

func perMinute(res *automl.Result) float64 {
	return float64(len(res.Trials)) / res.Wall.Minutes()
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// startServer starts an embedded JetStream server on a free loopback port.
func startServer(dir string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: dir, NoLog: true, NoSigs: true})
	if err != nil {
		return "", nil, err
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		return "", nil, fmt.Errorf("nats server not ready")
	}
	return fmt.Sprintf("nats://127.0.0.1:%d", port), func() { s.Shutdown(); s.WaitForShutdown() }, nil
}
