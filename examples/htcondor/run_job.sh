#!/bin/sh
# One zpgen job of an HTCondor cluster: run_job.sh JOB_INDEX N_JOBS EVENTS
# Needs zpgen on the worker (e.g. a venv on shared storage or a container image).
set -eu
job="$1"
n_jobs="$2"
events="$3"
zpgen generate --grid grid.zpg --job-index "$job" --n-jobs "$n_jobs" -n "$events" \
    --threads 1 -q -o "out_${job}.root"
