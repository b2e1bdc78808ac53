#!/usr/bin/env bash
# Go's `path.Match` (pod_annotations patterns) on pathological patterns; fails when a case takes
# longer than its 10 ms budget. Prints a Markdown table for docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --locked -q --bench gomatch 2>/dev/null
