#!/usr/bin/env bash
# Executes the generated notebooks for real: installs GoNB (pinned in this
# tools module), registers its kernel, and runs notebookgen's Jupyter test
# (German Credit experiment; the best trial's notebook, one per model family,
# and the exploration notebook), which fails rather than skips under AUTOML_CI=1.
# Needs Debian's jupyter-nbconvert, python3-nbclient, python3-ipykernel.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
(cd "$here" && go install github.com/janpfeifer/gonb golang.org/x/tools/gopls)
(cd "$here/goimports" && go install golang.org/x/tools/cmd/goimports)
export PATH="$(go env GOPATH)/bin:$PATH"
gonb --install
cd "$repo"
AUTOML_CI=1 AUTOML_NB_FAMILIES=all go test -count=1 -timeout 40m -run 'TestJupyterExecutes|TestProgramReproducesTrials' -v ./notebookgen 2>&1 | grep -v '^I[0-9]' | tail -60
exit "${PIPESTATUS[0]}"
