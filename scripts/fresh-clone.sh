#!/usr/bin/env bash
# Times `make test` and `make run` (until the web chat answers) in fresh clones of the current
# commit, each in an empty folder with nothing beside it, and writes reports/fresh-clone.json
# and reports/fresh-clone.md (stamped with the commit, date and machine; bot/report_records.py).
# It exits 1 when a step failed or `make run` never answered (the report says which).
#
#   scripts/fresh-clone.sh            # both
#   scripts/fresh-clone.sh test       # only make test (the `make run` figures are kept)
#   scripts/fresh-clone.sh run        # only make run (the `make test` figures are kept)
#
# `make test` is timed in its steps, each a make call in the same clone: the two environments,
# seeding the demo shop, training (Rasa, sentiment, recommender), then `make test` itself, which
# finds those built and runs every check. The steps add up to a `make test` from scratch.
# `make run` serves on its fixed ports (5005, 5055, 8000): stop a running one first.
set -uo pipefail
repo=$(git rev-parse --show-toplevel)
what=${1:-both}
case $what in both | test | run) ;; *) echo "usage: $0 [both|test|run]" >&2; exit 2 ;; esac
work=$(mktemp -d)
args=()
python=""
failed=0

clone() {
  git clone -q "$repo" "$work/$1/repo"
  echo "$work/$1/repo"
}

# timed NAME MAKE-ARGS...: runs make in $dir, logging to $work/test.log; adds --step NAME=S:RC.
timed() {
  local name=$1 start rc secs
  shift
  start=$(date +%s)
  (cd "$dir" && make "$@" </dev/null >>"$work/test.log" 2>&1)
  rc=$?
  secs=$(($(date +%s) - start))
  args+=(--step "$name=$secs:$rc")
  [[ $rc == 0 ]] || failed=1
  echo "$name (make $*): exit $rc after ${secs}s"
  return $rc
}

if [[ $what == both || $what == test ]]; then
  dir=$(clone test)
  [[ ! -e $work/test/shared ]] || { echo "unexpected shared/ beside the clone"; exit 1; }
  timed "building .venv and .venv-rasa" env rasa-env &&
    timed "seeding the demo shop" seed &&
    timed "training (Rasa, sentiment, recommender)" train
  timed "the checks and tests of make test" test
  args+=(--test-log "$work/test.log")
  python="$dir/.venv/bin/python"
  echo "make test log: $work/test.log"
fi

if [[ $what == both || $what == run ]]; then
  dir=$(clone run)
  start=$(date +%s)
  (cd "$dir" && exec setsid make run </dev/null >"$work/run.log" 2>&1) &
  runner=$!
  answered=no
  for _ in $(seq 1 1800); do
    if ! kill -0 "$runner" 2>/dev/null; then break; fi
    # A guest identity from the gateway: {"sender_id": ..., "identity_hash": ...}
    guest=$(curl -s -m 10 -X POST http://127.0.0.1:8000/api/chat/guest 2>/dev/null || true)
    reply=""
    if [[ $guest == *'"identity_hash"'* ]]; then
      reply=$(curl -s -m 30 -X POST http://127.0.0.1:8000/api/chat -H 'Content-Type: application/json' \
        -d "${guest%\}}, \"text\": \"hello\"}" 2>/dev/null || true)
    fi
    if [[ $reply == *'"messages"'* && $reply == *'"text"'* ]]; then answered=yes; break; fi
    sleep 1
  done
  secs=$(($(date +%s) - start))
  pkill -INT -g "$(ps -o pgid= "$runner" | tr -d ' ')" 2>/dev/null || true
  wait "$runner" 2>/dev/null
  args+=(--run "$secs:$answered")
  [[ $answered == yes ]] || failed=1
  [[ -n $python ]] || python="$dir/.venv/bin/python"
  echo "make run: answered=$answered after ${secs}s (log: $work/run.log)"
fi

# The clone's environment (built above) writes the report; run from the checkout, it imports
# the checkout's bot package and stamps the checkout's commit.
[[ -x $python ]] || python="$repo/.venv/bin/python"
(cd "$repo" && "$python" -m bot.reports fresh-clone "${args[@]}") || exit 1
cat "$repo/reports/fresh-clone.md"
# The report is written either way; a failed step or a silent `make run` fails the script.
exit $failed
