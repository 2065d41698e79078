#!/usr/bin/env bash
# Prints (never asserts) what one process costs that opens a container namespace by path, enters
# it and dumps its links: lib/netlink under Bun (the driver run as .ts, and compiled the way the
# product is) against `ip -n NAME -json link show`, same run, same namespaces. Run as root:
#   bash test/netns/netlink/measure.sh [runs]
# Everything happens in two throwaway namespaces (cnits-nlm-*), deleted on exit.
set -euo pipefail
cd "$(dirname "$0")/../../.."
runs=${1:-40}
bun=node_modules/@oven/bun-linux-x64/bin/bun
suffix=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
H=cnits-nlm-$suffix-h
C=cnits-nlm-$suffix-c
tmp=$(mktemp -d)
cleanup() { ip netns del "$H" 2>/dev/null || true; ip netns del "$C" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
ip netns add "$H"
ip netns add "$C"
for i in $(seq 0 9); do echo "link add name va$i type veth peer name vb$i"; done | ip -n "$C" -batch -
"$bun" build --compile --bytecode --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
  test/netns/netlink/driver.ts --outfile "$tmp/driver" >/dev/null 2>&1 ||
  "$bun" build --compile --bytecode test/netns/netlink/driver.ts --outfile "$tmp/driver" >/dev/null

# median wall ms and median peak RSS KiB of `cmd` run $runs times inside $H
measure() {
  local label=$1
  shift
  local walls=() rss=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s%N)
    /usr/bin/time -f %M -o "$tmp/rss" ip netns exec "$H" "$@" >/dev/null
    t1=$(date +%s%N)
    walls+=($(((t1 - t0) / 1000)))
    rss+=($(cat "$tmp/rss"))
  done
  local w r
  w=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  r=$(printf '%s\n' "${rss[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  printf '%-44s %8.2f ms %8d KiB\n' "$label" "$(echo "$w / 1000" | bc -l)" "$r"
  echo "$w $r" >"$tmp/last"
}

echo "median of $runs runs, each inside ip netns exec (its cost is in every line)"
measure "ip -n C -json link show" ip -n "$C" -json link show
read -r ip_w ip_r <"$tmp/last"
measure "bun run driver.ts bench 1 (transpiles .ts)" "$bun" run test/netns/netlink/driver.ts bench 1 "/run/netns/$C"
read -r run_w run_r <"$tmp/last"
measure "compiled driver bench 1" "$tmp/driver" bench 1 "/run/netns/$C"
read -r bin_w bin_r <"$tmp/last"
measure "compiled driver noop (Bun start-up)" "$tmp/driver" noop
read -r noop_w noop_r <"$tmp/last"
measure "ip netns exec true (floor)" /bin/true
read -r floor_w _ <"$tmp/last"
awk -v a="$bin_w" -v b="$ip_w" -v c="$run_w" -v ra="$bin_r" -v rb="$ip_r" -v rc="$run_r" -v f="$floor_w" 'BEGIN {
  printf "ratios vs ip: compiled wall %.2f (%.2f above the floor), bun run wall %.2f; peak RSS compiled %.2f, bun run %.2f\n",
    a / b, (a - f) / (b - f), c / b, ra / rb, rc / rb }'
awk -v a="$bin_w" -v n="$noop_w" -v ra="$bin_r" -v rn="$noop_r" 'BEGIN { printf "compiled driver minus its own start-up: %.2f ms, %d KiB\n", (a - n) / 1000, ra - rn }'

n=2000
t0=$(date +%s%N)
ip netns exec "$H" "$tmp/driver" bench "$n" "/run/netns/$C" >/dev/null
t1=$(date +%s%N)
t2=$(date +%s%N)
ip netns exec "$H" "$tmp/driver" bench 1 "/run/netns/$C" >/dev/null
t3=$(date +%s%N)
awk -v loop=$(((t1 - t0) - (t3 - t2))) -v n=$((n - 1)) 'BEGIN { printf "in-process: open netns + setns + socket + link dump (21 links) + close: %.1f us each\n", loop / n / 1000 }'
