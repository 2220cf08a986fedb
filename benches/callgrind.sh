#!/usr/bin/env bash
# Instructions per operation under callgrind: repeatable on a noisy machine.
#
#   bash benches/callgrind.sh            # the reference bodies, the v1 form, the layer
#   ALL=1 bash benches/callgrind.sh      # also every v2 fixture
#   N=500 bash benches/callgrind.sh      # more iterations (default 200)
#
# Each (variant, payload) runs twice under `valgrind --tool=callgrind`:
# `ratios --callgrind VARIANT PAYLOAD 0` and `... N` (both with one warm-up
# call); (Ir(N) - Ir(0)) / N is the cost of one operation, start-up and
# loading excluded. Writes target/bench-callgrind.json.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-200}
bin=$(cargo bench --bench ratios --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*ratios[^"]*\)".*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "could not build the ratios bench" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

ir() { # variant payload n -> total instructions
  valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bin" --callgrind "$1" "$2" "$3" \
    >/dev/null 2>"$out/log" || { cat "$out/log" >&2; exit 1; }
  sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out/cg"
}
per_op() { # variant payload -> instructions per operation
  local zero full
  zero=$(ir "$1" "$2" 0)
  full=$(ir "$1" "$2" "$N")
  echo $(((full - zero) / N))
}

payloads=(purchase_approved_compact purchase_approved_full subscription_cancellation v1/approved_1.form)
if [ -n "${ALL:-}" ]; then
  for f in tests/fixtures/v2/*.json; do payloads+=("v2/$(basename "$f" .json)"); done
fi

json="{"
printf '%-36s %10s %10s %10s %10s %7s %7s %7s\n' payload parse ignored value owned /floor 'x Val' 'x Own'
for p in "${payloads[@]}"; do
  declare -A r=()
  for v in parse ignored value owned; do
    if [ "$v" = owned ] && { [[ $p == *.form ]] || ! grep -q -E '"event": *"(PURCHASE_(APPROVED|COMPLETE|CANCELED|BILLET_PRINTED|REFUNDED|CHARGEBACK|EXPIRED|DELAYED|PROTEST)|SUBSCRIPTION_CANCELLATION)"' \
        "$( [[ $p == v2/* ]] && echo "tests/fixtures/$p.json" || echo "benches/payloads/$p.json")"; }; then
      r[$v]=""
      continue
    fi
    r[$v]=$(per_op "$v" "$p")
  done
  ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo -; }
  printf '%-36s %10s %10s %10s %10s %7s %7s %7s\n' "$p" "${r[parse]}" "${r[ignored]}" "${r[value]}" "${r[owned]:--}" \
    "$(ratio "${r[parse]}" "${r[ignored]}")" "$(ratio "${r[value]}" "${r[parse]}")" "$(ratio "${r[owned]}" "${r[parse]}")"
  json+="\"$p\":{\"parse\":${r[parse]},\"ignored\":${r[ignored]},\"value\":${r[value]},\"owned\":${r[owned]:-null}},"
  unset r
done

echo
printf '%-14s %10s\n' layer instructions
declare -A l=()
for v in bare_header layer_header bare_form layer_body reject_first reject_last matches_first matches_last; do
  l[$v]=$(per_op "$v" layer)
  printf '%-14s %10s\n' "$v" "${l[$v]}"
  json+="\"layer/$v\":${l[$v]},"
done
echo "header path over bare: $((l[layer_header] - l[bare_header])) instructions"
echo "body path over bare:   $((l[layer_body] - l[bare_form])) instructions"
echo "wrong last / first byte: $(awk -v a="${l[matches_last]}" -v b="${l[matches_first]}" 'BEGIN { printf "%.3f", a / b }') (Hottok::matches)"
json="${json%,}}"
echo "$json" >target/bench-callgrind.json
echo "wrote target/bench-callgrind.json (N=$N)"
