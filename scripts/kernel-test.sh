#!/usr/bin/env bash
# The full-kernel test runner (DESIGN.md, testing rules): boots Debian's user-mode-linux once,
# runs one command inside it and exits with that command's status. This machine's kernel has no
# dummy, vlan or ipvlan links and no bridge VLAN filtering; the UML kernel (6.1) has all of them.
#
#   bash scripts/kernel-test.sh                     # the jest "kernel" project, run in band
#   bash scripts/kernel-test.sh CMD [ARG...]        # any command, e.g. ip link add d0 type dummy
#
# The command runs as root in the guest, from the repository root, with stdin from /dev/null;
# its stdout and stderr arrive on this script's stdout and stderr (as terminals when these are).
# The guest sees the host's files through hostfs, read-only except the repository; /proc, /sys,
# /dev, /run, /tmp and /var/tmp are its own (scripts/kernel-test-init.sh, PID 1 of the guest,
# sets that up and checks it before running anything). Any failure to boot or to start the
# command is reported on stderr with a non-zero exit status, never as a success.
#
# Settings (environment): CNI_TS_UML_KERNEL (default /usr/bin/linux.uml), CNI_TS_UML_MEM
# (guest memory, default 2G), CNI_TS_UML_TIMEOUT (seconds before the guest is killed, default
# 1800), CNI_TS_UML_CONSOLE_LINES (kernel log lines shown on a failure, default 30). Passed into
# the guest: CI, GITHUB_ACTIONS, TERM, NO_COLOR, FORCE_COLOR, LANG, LC_ALL, TZ, NODE_OPTIONS,
# every CNI_TS_* variable, and CNI_TS_FULL_KERNEL=1; PATH is the host's plus the sbin
# directories, behind a directory in which iptables* are the legacy ones. A last line on stderr
# gives the boot and command times.
set -euo pipefail

tmp=
uml_pid=

fail() {
  echo "kernel-test: $*" >&2
  exit 1
}

# The kernel command line and hostfs mount options split on whitespace and commas.
no_split() {
  if [[ $1 =~ [[:space:],\"] ]]; then fail "paths with whitespace, commas or quotes are not supported: $1"; fi
}

stop_uml() {
  [[ -n $uml_pid ]] || return 0
  # timeout(1) leads its own process group (UML and its helper processes) and forwards TERM to
  # it; whatever survives the grace period is killed.
  kill -TERM "$uml_pid" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 "$uml_pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL -- "-$uml_pid" 2>/dev/null || true
  wait "$uml_pid" 2>/dev/null || true
  uml_pid=
}

cleanup() {
  stop_uml
  [[ -z $tmp ]] || rm -rf -- "$tmp"
}

on_signal() {
  echo "kernel-test: interrupted, stopping the guest" >&2
  cleanup
  trap - EXIT
  exit "$1"
}

console_tail() {
  echo "kernel-test: last lines of the guest console:" >&2
  tail -n "${CNI_TS_UML_CONSOLE_LINES:-30}" "$tmp/console.log" 2>/dev/null | sed 's/^/  | /' >&2 || true
}

# The job file: the guest runs it under `env -i`, so it holds the command's whole environment.
write_job() {
  local guest_path="/run/cnits-uml/bin:$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  local name
  printf 'export PATH=%q HOME=/root USER=root LOGNAME=root TMPDIR=/tmp CNI_TS_FULL_KERNEL=1\n' "$guest_path"
  for name in $(compgen -e); do
    if [[ $name =~ ^(CI|GITHUB_ACTIONS|TERM|NO_COLOR|FORCE_COLOR|LANG|LC_ALL|TZ|NODE_OPTIONS|CNI_TS_[A-Za-z0-9_]+)$ &&
      $name != CNI_TS_FULL_KERNEL ]]; then
      printf 'export %s=%q\n' "$name" "${!name}"
    fi
  done
  printf 'cd %q || exit 127\n' "$root"
  printf 'exec'
  printf ' %q' "$@"
  printf '\n'
}

# Whether our stdout and stderr are terminals, and their sizes: the guest gives the command the same.
write_outputs() {
  local fd rows cols specs=()
  for fd in 1 2; do
    if [[ -t $fd ]]; then
      # Not $(stty ...): inside a command substitution fd 1 is the substitution's pipe.
      stty size <&"$fd" 2>/dev/null >"$tmp/size" || echo "0 0" >"$tmp/size"
      read -r rows cols <"$tmp/size"
      specs+=("tty$fd=${rows}x$cols")
    else
      specs+=("tty$fd=no")
    fi
  done
  echo "${specs[@]}" >"$tmp/xchg/outputs"
}

# One function called on the last line: bash reads a script while it runs, and an edit meanwhile
# (a checkout, an editor) must not change what a running instance does.
main() {
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
  local kernel=${CNI_TS_UML_KERNEL:-/usr/bin/linux.uml}
  local mem=${CNI_TS_UML_MEM:-2G}
  local limit=${CNI_TS_UML_TIMEOUT:-1800}

  [[ -x $kernel ]] || fail "$kernel not found: install Debian's user-mode-linux package"
  command -v timeout >/dev/null || fail "timeout (coreutils) not found"
  [[ $limit =~ ^[1-9][0-9]*$ ]] || fail "CNI_TS_UML_TIMEOUT must be a number of seconds, not '$limit'"
  local modules
  modules=/usr/lib/uml/modules/$("$kernel" --version)
  [[ -d $modules ]] || fail "$modules not found: the UML kernel's modules are missing"
  no_split "$root"
  if (($# == 0)); then
    set -- node "$root/node_modules/.bin/jest" --selectProjects kernel --runInBand
  fi

  trap cleanup EXIT
  trap 'on_signal 130' INT
  trap 'on_signal 143' TERM
  trap 'on_signal 129' HUP
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/cnits-uml.XXXXXX")
  no_split "$tmp"
  mkdir "$tmp/uml" "$tmp/xchg"
  write_job "$@" >"$tmp/xchg/job.sh"
  write_outputs

  # ro root: the guest writes only through the two read-write hostfs mounts its init makes (the
  # repository and $tmp/xchg). Consoles: the kernel log to fd 3 (a file), ttyS0 and ttyS1 to our
  # stdout and stderr; ssl-non-raw keeps UML from switching a host terminal to raw mode (which a
  # killed UML could not undo). UML reads nothing from stdin.
  local started ended status=0
  started=$(date +%s%N)
  timeout --kill-after=10 "$limit" "$kernel" \
    mem="$mem" root=/dev/root rootfstype=hostfs rootflags=/ ro \
    uml_dir="$tmp/uml" umid=cnits-uml \
    con=null ssl=null con0=null,fd:3 ssl0=null,fd:1 ssl1=null,fd:2 ssl-non-raw console=tty0 \
    quiet noreboot panic=-1 \
    init=/usr/bin/bash -- "$root/scripts/kernel-test-init.sh" "$tmp/xchg" "$root" \
    </dev/null 3>"$tmp/console.log" &
  uml_pid=$!
  wait "$uml_pid" || status=$?
  uml_pid=
  ended=$(date +%s%N)

  # timeout(1) exits 124, or 137 when UML ignored TERM and had to be killed.
  if ((status == 124 || (status == 137 && ended - started >= limit * 1000000000))); then
    console_tail
    fail "the guest did not finish within ${limit}s (CNI_TS_UML_TIMEOUT) and was killed"
  fi
  if [[ -s $tmp/xchg/error ]]; then
    console_tail
    fail "guest setup failed: $(<"$tmp/xchg/error")"
  fi
  if [[ ! -s $tmp/xchg/status ]]; then
    console_tail
    fail "the guest ended (UML exit status $status) without reporting the command's exit status"
  fi
  local rc
  rc=$(<"$tmp/xchg/status")
  [[ $rc =~ ^[0-9]+$ ]] || fail "unreadable exit status from the guest: '$rc'"
  if ((status != 0)); then
    echo "kernel-test: warning: UML exited with status $status after the command had finished" >&2
    console_tail
  fi

  local up_start up_end
  if [[ -s $tmp/xchg/times ]] && read -r up_start up_end <"$tmp/xchg/times"; then
    awk -v s="$up_start" -v e="$up_end" -v t="$(((ended - started) / 1000000))" 'BEGIN {
      printf "kernel-test: guest boot + setup %.2fs, command %.2fs, total %.2fs\n", s, e - s, t / 1000 }' >&2
  fi
  exit "$rc"
}

main "$@"
