#!/usr/bin/env bash
# make benchmark: this project against FLAML and four library defaults on the same stratified
# 80/20 splits of the shared data sets, scored by the same code (../shared/peers), 3 seeds,
# at BUDGETS (default "60 30") seconds. Prints the tables and writes them to bench/RESULTS.md.
#
# Needs Debian's python3-sklearn, python3-xgboost, python3-pandas (installed if missing) and a
# FLAML 2.6.0 source tree in FLAML_SRC (see ../shared/peers/README.md: a snapshot of the public
# microsoft/FLAML repository, `git archive v2.6.0 flaml setup.py LICENSE README.md`; nothing
# of it is built or committed here).
# Env: BUDGETS, SEEDS (default "0 1 2"), SETS (a subset of the names below), OUT (work folder),
#      PEERS (default ../shared/peers), DATA (default ../shared/datasets).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PEERS=${PEERS:-$ROOT/../shared/peers}
DATA=${DATA:-$ROOT/../shared/datasets}
OUT=${OUT:-$(mktemp -d /tmp/automl-benchmark.XXXXXX)}
BUDGETS=${BUDGETS:-60 30}
export SEEDS=${SEEDS:-0 1 2}
: "${FLAML_SRC:?set FLAML_SRC to a FLAML 2.6.0 source tree (see ../shared/peers/README.md)}"
export FLAML_SRC
PY=/usr/bin/python3
if ! $PY -c 'import sklearn, xgboost, pandas' 2>/dev/null; then
  apt-get install -y -qq python3-sklearn python3-xgboost python3-pandas python3-numpy python3-scipy \
    python3-joblib python3-threadpoolctl python3-psutil >/dev/null
fi
go build -o bin/automl ./cmd/automl
export AUTOML=$ROOT/bin/automl
# What each system hands its user is a model trained on every row of train.csv: the defaults are
# fitted on all of it, and FLAML refits its best configuration on all of it after the search
# (retrain_full, its default, lifts the time budget for that fit). `automl run` keeps 5 % of
# train.csv as its own test rows; `--refit all` fits the best trial (each member of an ensemble)
# on every row once that test score is recorded, inside the budget.
export AUTOML_ARGS="--train-frac 0.75 --val-frac 0.2 --refit all"

mkdir -p "$OUT"
# A 5 %-positive sample of adult (every negative, positives thinned by a seeded draw), to
# check calibration where the guardrail turns class weights on.
$PY bench/adult_rare.py "$DATA/adult.csv" "$OUT/adult_rare5.csv"

declare -A SPEC=(
  [german_credit]="$DATA/german_credit_g_weka_decoded.csv:class"
  [titanic]="$DATA/titanic.csv:Survived"
  [telco_churn]="$DATA/telco_customer_churn.csv:Churn"
  [credit_approval]="$DATA/credit_approval_australian.csv:class"
  [pima]="$DATA/pima_indians_diabetes.csv:class"
  [spambase]="$DATA/spambase.csv:class"
  [car]="$DATA/car_evaluation.csv:class"
  [covertype10k]="$DATA/covertype_subset_10k.csv:Cover_Type"
  [adult]="$DATA/adult.csv:class:?"
  [bank_marketing]="$DATA/bank_marketing_full.csv:y"
  [adult_rare5]="$OUT/adult_rare5.csv:class:?"
)
ORDER="german_credit titanic telco_churn credit_approval pima spambase car covertype10k adult bank_marketing adult_rare5"
specs=()
for s in ${SETS:-$ORDER}; do specs+=("${SPEC[$s]:?unknown set $s}"); done

{
  echo "# Benchmark: goautoml against FLAML 2.6.0 and library defaults"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%Y-%m-%d); commit $(git rev-parse --short HEAD)."
  echo "Same stratified 80/20 split per seed, same metric code (../shared/peers), seeds: $SEEDS."
  echo "automl runs with \`$AUTOML_ARGS\` (its final model on every row of train.csv, as the peers')."
} > "$OUT/RESULTS.md"
for B in $BUDGETS; do
  echo "load before the $B s run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/RESULTS.md"
  BUDGET=$B SYSTEMS="automl flaml rf_default hgb_default xgb_default" \
    bash "$PEERS/compare.sh" "$OUT/b$B" "${specs[@]}" > "$OUT/b$B.runs.txt"
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/RESULTS.md"
  $PY bench/benchmark_table.py "$OUT/b$B" "$B" | tee -a "$OUT/RESULTS.md"
done
cp "$OUT/RESULTS.md" bench/RESULTS.md
echo "tables written to bench/RESULTS.md (runs in $OUT)"
