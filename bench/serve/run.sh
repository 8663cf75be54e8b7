#!/usr/bin/env bash
# Load test of `automl serve` on loopback (make bench-serve).
#
# Models, all trained on the bundled German Credit data: logistic
# regression, a GBDT with the default settings (100 rounds), the best model
# of a 20 s search (what `make demo` then `automl serve` would serve), and a
# 500-tree GBDT (the startup target's model). For each it prints the time
# from process start to a 200 on /ready; single-row throughput and p50 / p99
# latency under wrk at saturation (CONNS connections, no pause); p50 / p99
# at a paced load of about RATE requests/s (each connection waits between
# requests, the way the targets read: this throughput with that latency);
# and the wall time of one 10,000-row batch (columnar JSON, median of 5
# requests). Then the in-process Go benchmarks of the same paths.
#
# Environment: DURATION (wrk seconds, default 10), CONNS (default 16),
# RATE (paced requests/s, default 5000), THREADS (wrk threads, default 1),
# PORT (default 18081), KEEP=1 keeps the work folder. Needs wrk (installed
# with apt-get when missing), curl, go, python3.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10}
CONNS=${CONNS:-16}
RATE=${RATE:-5000}
THREADS=${THREADS:-1}
PORT=${PORT:-18081}
GO=${GO:-go}

if ! command -v wrk >/dev/null; then
	echo "wrk not found: installing it with apt-get" >&2
	if [ "$(id -u)" -eq 0 ]; then apt-get install -y wrk >/dev/null; else sudo apt-get install -y wrk >/dev/null; fi
fi

work=$(mktemp -d)
server=""
cleanup() {
	if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
	if [ "${KEEP:-}" = 1 ]; then echo "work folder: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

$GO build -o "$work/automl" ./cmd/automl
data=samples/german_credit.csv

echo "training the benchmark models on $data ..." >&2
"$work/automl" train --data "$data" --target class --model logistic --runs "$work/runs" --name logistic --quiet >"$work/train.log" 2>&1 || { cat "$work/train.log" >&2; exit 1; }
"$work/automl" train --data "$data" --target class --model gbdt --runs "$work/runs" --name gbdt --quiet >"$work/train.log" 2>&1 || { cat "$work/train.log" >&2; exit 1; }
"$work/automl" run --data "$data" --target class --timeout 20s --explain-top 0 --notebooks none \
	--runs "$work/runs" --name best --json >"$work/best.json" 2>"$work/train.log" || { cat "$work/train.log" >&2; exit 1; }
best_family=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["best"]["family"])' "$work/best.json")
"$work/automl" train --data "$data" --target class --model gbdt --param rounds=500 --param early_stopping_rounds=0 \
	--runs "$work/runs" --name gbdt500 --quiet >"$work/train.log" 2>&1 || { cat "$work/train.log" >&2; exit 1; }

# A 10,000-row columnar body: the file's 1,000 rows ten times, target dropped.
cut -d, -f1-20 "$data" >"$work/x.csv"
python3 - "$work/x.csv" "$work/batch.json" <<'PY'
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
head, body = rows[0], rows[1:]
def val(v):
    try:
        return float(v) if "." in v else int(v)
    except ValueError:
        return v
data = [[val(v) for v in r] for r in (body * 10)[:10000]]
json.dump({"columns": head, "data": data, "method": "predict_proba"}, open(sys.argv[2], "w"))
PY

ms() { date +%s%N | awk '{printf "%d", $1/1e6}'; }

summary=()
for name in logistic gbdt best gbdt500; do
	model="$work/runs/$name/best"
	t0=$(date +%s%N)
	"$work/automl" serve --model "$model" --addr "127.0.0.1:$PORT" 2>"$work/$name.log" &
	server=$!
	until curl -sf "http://127.0.0.1:$PORT/ready" >/dev/null 2>&1; do
		if ! kill -0 "$server" 2>/dev/null; then cat "$work/$name.log" >&2; exit 1; fi
		sleep 0.005
	done
	t1=$(date +%s%N)
	startup=$(( (t1 - t0) / 1000000 ))
	loaded=$(grep -o 'ready in [0-9]* ms' "$work/$name.log" | grep -o '[0-9]*')

	# One record: the OpenAPI document's own example.
	curl -sf "http://127.0.0.1:$PORT/swagger.json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
ex = d["paths"]["/score"]["post"]["requestBody"]["content"]["application/json"]["examples"]["records"]["value"]
print(json.dumps(ex))' >"$work/one.json"
	cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [==[$(cat "$work/one.json")]==]
LUA
	code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary @"$work/one.json" "http://127.0.0.1:$PORT/score")
	[ "$code" = 200 ] || { echo "$name: example request answered $code" >&2; exit 1; }

	wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s "$work/post.lua" "http://127.0.0.1:$PORT/score" >"$work/$name.wrk"
	rps=$(awk '/^Requests\/sec/ {print $2}' "$work/$name.wrk")
	p50=$(awk '$1=="50%" {print $2}' "$work/$name.wrk")
	p99=$(awk '$1=="99%" {print $2}' "$work/$name.wrk")
	non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/$name.wrk")

	# Paced: each connection waits 3 ms before each request; with
	# RATE * 4 ms connections that offers at least RATE requests/s while a
	# request takes under 1 ms all told (the achieved rate is printed).
	paced_conns=$(( (RATE * 4 + 999) / 1000 ))
	{ cat "$work/post.lua"; echo "function delay() return 3 end"; } >"$work/paced.lua"
	wrk -t"$THREADS" -c"$paced_conns" -d"${DURATION}s" --latency -s "$work/paced.lua" "http://127.0.0.1:$PORT/score" >"$work/$name.paced"
	prps=$(awk '/^Requests\/sec/ {printf "%d", $2}' "$work/$name.paced")
	pp50=$(awk '$1=="50%" {print $2}' "$work/$name.paced")
	pp99=$(awk '$1=="99%" {print $2}' "$work/$name.paced")
	non2xx=$(awk '/Non-2xx/ {s += $NF} END {if (s) print s}' "$work/$name.wrk" "$work/$name.paced")

	times=()
	for _ in 1 2 3 4 5 6; do
		t=$(curl -s -o "$work/batch.out" -w '%{http_code} %{time_total}' -H 'Content-Type: application/json' \
			--data-binary @"$work/batch.json" "http://127.0.0.1:$PORT/score")
		[ "${t%% *}" = 200 ] || { echo "$name: batch answered ${t%% *}: $(head -c 300 "$work/batch.out")" >&2; exit 1; }
		times+=("${t#* }")
	done
	# The first request warms the pools; the median of the other five.
	batch=$(printf '%s\n' "${times[@]:1}" | sort -n | sed -n 3p | awk '{printf "%.1f", $1*1000}')

	kill -TERM "$server"; wait "$server" || true; server=""
	label=$name
	[ "$name" = best ] && label="best($best_family)"
	summary+=("$(printf '%-20s startup %4s ms (load+handler %3s ms) | saturated: %8s req/s p50 %8s p99 %8s | at %5s req/s: p50 %8s p99 %8s | 10k-row batch %6s ms%s' \
		"$label" "$startup" "$loaded" "$rps" "$p50" "$p99" "$prps" "$pp50" "$pp99" "$batch" "${non2xx:+  NON-2XX $non2xx}")")
	echo "${summary[-1]}"
done

echo
echo "in-process (go test -bench, one goroutine, no network):"
$GO test -run '^$' -bench 'Score|Startup' -benchtime 2s ./serving | grep -E '^Benchmark'

echo
echo "summary ($(nproc) cores, load average$(uptime | sed 's/.*load average//'); targets: >= 5000 req/s with p99 < 5 ms, 10k batch < 50 ms, startup < 200 ms for 500 trees):"
printf '%s\n' "${summary[@]}"
