#!/usr/bin/env bash
# Rewrites the key reference in configs/README.md from `genlab config --reference`
# (between the reference markers). Usage: bash configs/update_reference.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
reference=$("$build/genlab" config --reference)
/usr/bin/env python3 - "$root/configs/README.md" "$reference" <<'PY'
import sys
path, reference = sys.argv[1], sys.argv[2]
text = open(path).read()
begin, end = "<!-- reference:begin -->\n", "<!-- reference:end -->"
head, rest = text.split(begin)
_, tail = rest.split(end)
open(path, "w").write(head + begin + reference.rstrip("\n") + "\n" + end + tail)
PY
