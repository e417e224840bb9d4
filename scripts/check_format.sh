#!/usr/bin/env bash
# Checks that every C/C++ source is formatted per .clang-format; lists the offenders.
#   scripts/check_format.sh         check only (exit 1 if any file needs formatting)
#   scripts/check_format.sh --fix   reformat the files in place (what `make format` runs)
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
case "${1:-}" in
  --fix) fix=1 ;;
  "") ;;
  *) echo "usage: $0 [--fix]" >&2; exit 2 ;;
esac

dirs=()
for d in src tests firmware bench sim; do [ -d "$d" ] && dirs+=("$d"); done
[ ${#dirs[@]} -eq 0 ] && { echo "check_format: no sources"; exit 0; }

files=()
while IFS= read -r -d '' f; do files+=("$f"); done < <(
  find "${dirs[@]}" -type d -name corpus -prune -o -type f \
    \( -name '*.h' -o -name '*.hh' -o -name '*.hpp' -o -name '*.hxx' -o -name '*.ipp' \
       -o -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.cxx' \) -print0 | sort -z)
[ ${#files[@]} -eq 0 ] && { echo "check_format: no sources"; exit 0; }

if [ "$fix" -eq 1 ]; then
  printf '%s\0' "${files[@]}" | xargs -0 clang-format -i --style=file
  echo "check_format: formatted ${#files[@]} files"
  exit 0
fi

bad=()
for f in "${files[@]}"; do
  if ! clang-format --dry-run -Werror --style=file "$f" >/dev/null 2>&1; then bad+=("$f"); fi
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "check_format: ${#bad[@]} of ${#files[@]} files need clang-format:" >&2
  printf '  %s\n' "${bad[@]}" >&2
  echo "check_format: run 'make format' to fix them" >&2
  exit 1
fi
echo "check_format: OK (${#files[@]} files)"
