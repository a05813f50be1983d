#!/bin/sh
# One zpgen job of an HTCondor cluster: run_job.sh JOB_INDEX N_JOBS EVENTS
# Needs zpgen on the worker (e.g. a venv on shared storage or a container image).
set -eu
job="$1"
n_jobs="$2"
events="$3"
# exec: zpgen becomes the job's process, so the SIGTERM of condor_rm or an eviction reaches
# it (a shell would not pass it on) and it stops cleanly, leaving no half-written file.
exec zpgen generate --grid grid.zpg --job-index "$job" --n-jobs "$n_jobs" -n "$events" \
    --threads 1 -q -o "out_${job}.root"
