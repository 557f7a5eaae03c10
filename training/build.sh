#!/usr/bin/env bash
# Rebuild artifacts/spectrum-astranet/0.2.0 and test/golden/spectrum-astranet-0.2.0.json from the shared data.
# usage: training/build.sh [DATA_ROOT]   (default: $CANDELA_DATA or ../shared/data relative to the repo)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="${1:-${CANDELA_DATA:-../shared/data}}"
exec /usr/bin/python3 -m training.build --data "$DATA" --stages all
