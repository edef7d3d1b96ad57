#!/usr/bin/env bash
# compare.sh - byte-exact comparison of two oracle outputs.
#
# Usage: tools/oracle/compare.sh EXPECTED ACTUAL
#   Exit 0 if the files are identical byte for byte.  Otherwise print a
#   unified diff (diff -u --text; lines that differ only in invisible bytes,
#   such as a CR or a missing final newline, are also shown with od -c) and
#   exit 1.  Exit 2 if a file cannot be read.
set -euo pipefail

[ $# = 2 ] || { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2; }
a=$1 b=$2
for f in "$a" "$b"; do
    [ -f "$f" ] && [ -r "$f" ] || { echo "compare.sh: cannot read $f" >&2; exit 2; }
done
if cmp -s "$a" "$b"; then
    echo "compare.sh: identical: $a $b ($(wc -c < "$a") bytes)"
    exit 0
fi
echo "compare.sh: DIFFERENT: $a (expected) vs $b (actual)"
diff -u --text --label "$a" --label "$b" "$a" "$b" || true
# Show invisible differences (CR, tabs vs spaces, NUL, no final newline) of
# the first differing line, as od -c.
line=$(cmp "$a" "$b" 2>/dev/null | sed -n 's/.* line \([0-9]*\).*/\1/p' || true)
if [ -z "$line" ]; then
    # cmp reports EOF on one file: the difference is at its end.
    line=$(( $(wc -l < "$a") < $(wc -l < "$b") ? $(wc -l < "$a") + 1 : $(wc -l < "$b") + 1 ))
fi
label=$(head -n "$line" "$a" | grep -a '^== ' | tail -n 1 || true)
echo "compare.sh: first difference in line $line${label:+, in step '$label'}, as bytes:"
echo "--- expected:"; sed -n "${line}p" "$a" | od -An -c | head -n 8
echo "+++ actual:"; sed -n "${line}p" "$b" | od -An -c | head -n 8
exit 1
