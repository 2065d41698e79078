#!/usr/bin/env bash
# PID 1 of the user-mode-linux guest that scripts/kernel-test.sh boots. Never run it anywhere else.
# Arguments: the host directory shared with kernel-test.sh (job.sh and outputs in; error, times
# and status out) and the repository root.
#
# The guest's root file system is the host's, through hostfs, mounted read-only: a write that
# slips past the mounts below fails with EROFS instead of changing a host file (hostfs writes
# with the rights of the host user running UML). Before the job runs, this script gives the
# guest its own /proc, /sys, /dev, /run (so /run/netns and /var/run/netns are the guest's), /tmp
# (jest's cache) and /var/tmp, checks each of them, and mounts read-write only the repository and
# the shared directory. A failure here is reported to the host and the guest powers off without
# running the job.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# This script mounts over system directories and powers the machine off: it refuses to start
# anywhere but as PID 1, and checks it is user-mode-linux as soon as /proc is mounted.
if (($$ != 1)); then
  echo "kernel-test-init.sh: not PID 1; this is the init of the guest that scripts/kernel-test.sh boots" >&2
  exit 2
fi

state=/run/cnits-uml # guest-only files, on the guest's /run
xchg=$state/host     # where the shared host directory is mounted
proc_ok=
xchg_ok=

power_off() {
  sync
  # sysrq goes through /proc, so only once /proc is known to be the guest's own.
  if [[ -n $proc_ok ]]; then
    echo o >/proc/sysrq-trigger
    sleep 30
  fi
  poweroff -f
  exit 1 # init exiting panics the kernel; UML then exits (panic=-1 noreboot)
}

fail() {
  echo "kernel-test (guest): $*" >/dev/console
  if [[ -n $xchg_ok ]]; then
    printf '%s\n' "$*" >"$xchg/error"
  else
    echo "kernel-test (guest): $*" >/dev/ttyS1
  fi
  power_off
}

# Sets fs_type and fs_opts to what is mounted last on a mount point, from the guest's /proc/mounts
# (builtins only: every process start costs tens of milliseconds in UML).
mounted() {
  local dev mnt type opts rest
  fs_type= fs_opts=
  while read -r dev mnt type opts rest; do
    [[ $mnt == "$1" ]] && fs_type=$type fs_opts=$opts
  done </proc/mounts
}

mount_checked() {
  local type=$1 target=$2 opts=$3
  mount -t "$type" -o "$opts" "$type" "$target" || fail "cannot mount $type on $target"
  mounted "$target"
  [[ $fs_type == "$type" ]] || fail "$target is not the guest's $type after mounting it"
}

mount_guest_filesystems() {
  mount -t proc proc /proc || fail "cannot mount proc"
  [[ $(</proc/sys/kernel/osrelease) == "$(uname -r)" && $(</proc/cpuinfo) == *"User Mode Linux"* ]] ||
    fail "/proc is not the guest's own, or this is not user-mode-linux"
  proc_ok=1
  mounted /
  [[ $fs_type == hostfs && $fs_opts == ro,* ]] || fail "/ must be hostfs mounted read-only, found: $fs_type $fs_opts"

  mounted /dev
  [[ $fs_type == devtmpfs ]] || mount_checked devtmpfs /dev mode=755
  ln -sfn /proc/self/fd /dev/fd && ln -sfn fd/0 /dev/stdin && ln -sfn fd/1 /dev/stdout && ln -sfn fd/2 /dev/stderr ||
    fail "cannot create /dev/fd"
  mount_checked sysfs /sys nosuid,nodev,noexec
  mount_checked tmpfs /run mode=755,nosuid,nodev
  mount_checked tmpfs /tmp mode=1777,nosuid,nodev
  mount_checked tmpfs /var/tmp mode=1777,nosuid,nodev
  mkdir -p /dev/pts /dev/shm
  mount_checked devpts /dev/pts gid=5,mode=620,ptmxmode=666
  mount_checked tmpfs /dev/shm mode=1777,nosuid,nodev
  mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup ||
    echo "kernel-test (guest): no cgroup2 on /sys/fs/cgroup" >/dev/console
  [[ /var/run -ef /run ]] || mount --bind /run /var/run || fail "cannot bind /run on /var/run"
  [[ /var/run -ef /run ]] || fail "/var/run is not the guest's /run"
}

# The only read-write views of the host. mkdir creates a mount point only where the path lies
# under one of the guest's tmpfs (a repository under /tmp); elsewhere the directories exist.
mount_host_directories() {
  local xchg_host=$1 repo=$2
  mkdir -p "$xchg" && mount -t hostfs -o "$xchg_host" hostfs "$xchg" && [[ -f $xchg/job.sh ]] ||
    fail "cannot mount the shared directory $xchg_host"
  xchg_ok=1
  mkdir -p "$repo" && mount -t hostfs -o "$repo" hostfs "$repo" && [[ -w $repo ]] ||
    fail "cannot mount the repository $repo read-write"
}

# Modules come from the UML package's tree through a private modprobe root; the kernel's own
# module requests (and libxtables') go through the same wrapper.
load_modules() {
  local kver modroot=$state/modroot
  kver=$(uname -r)
  [[ -d /usr/lib/uml/modules/$kver ]] || fail "no modules for the guest kernel in /usr/lib/uml/modules/$kver"
  mkdir -p "$modroot/lib/modules" && ln -s "/usr/lib/uml/modules/$kver" "$modroot/lib/modules/$kver" ||
    fail "cannot prepare the module tree"
  printf '#!/bin/sh\nexec /usr/sbin/modprobe -d %s "$@"\n' "$modroot" >"$state/modprobe" &&
    chmod 755 "$state/modprobe" && echo "$state/modprobe" >/proc/sys/kernel/modprobe ||
    fail "cannot install the modprobe wrapper"
  local modules=(ipv6 veth dummy macvlan ipvlan 8021q bridge
    iptable_nat iptable_filter ip6table_nat ip6table_filter xt_MASQUERADE xt_comment xt_addrtype)
  "$state/modprobe" -a "${modules[@]}" || fail "cannot load the modules: modprobe -a ${modules[*]} failed"
}

# This kernel has no nftables for the ip and ip6 families: iptables, iptables-save and
# iptables-restore (and ip6tables*) are the legacy ones, first in the job's PATH and, for the
# plugins (which take their tools from the system directories, not from PATH), in the guest's
# own copy of /etc/alternatives, as `update-alternatives --set iptables ...-legacy` would make it.
legacy_iptables() {
  local tool legacy alternatives=$state/alternatives
  mkdir -p "$state/bin" || fail "cannot create $state/bin"
  cp -a /etc/alternatives "$alternatives" || fail "cannot copy /etc/alternatives"
  for tool in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    legacy=/usr/sbin/${tool/tables/tables-legacy}
    if [[ -x $legacy ]]; then
      ln -s "$legacy" "$state/bin/$tool" || fail "cannot link $state/bin/$tool"
      ln -sfn "$legacy" "$alternatives/$tool" || fail "cannot link $alternatives/$tool"
    else
      echo "kernel-test (guest): warning: $legacy not found, $tool stays the host's default" >/dev/ttyS1
    fi
  done
  mount --bind "$alternatives" /etc/alternatives || fail "cannot bind $alternatives on /etc/alternatives"
}

# Sets outputs to the job's stdout and stderr: a host terminal gets a guest terminal of the same
# size, anything else a pipe, so the command's isatty() answers as it would on the host. drains
# holds the pids of the processes copying the pipes to the serial lines.
prepare_outputs() {
  local spec size dev n=0
  # A terminal's settings and size last only while it stays open: init holds both to the end.
  exec 7<>/dev/ttyS0 8<>/dev/ttyS1 || fail "cannot open the output lines /dev/ttyS0 and /dev/ttyS1"
  outputs=() drains=()
  for spec in $(<"$xchg/outputs"); do
    dev=/dev/ttyS$n
    n=$((n + 1))
    stty -F "$dev" raw -echo || fail "cannot set up $dev"
    size=${spec#*=}
    if [[ $size == no ]]; then
      mkfifo "$state/out$n" || fail "cannot create a pipe for $dev"
      cat <"$state/out$n" >"$dev" &
      drains+=($!)
      outputs+=("$state/out$n")
    else
      [[ $size == 0x* || $size == *x0 ]] || stty -F "$dev" rows "${size%x*}" cols "${size#*x}"
      outputs+=("$dev")
    fi
  done
  ((${#outputs[@]} == 2)) || fail "bad outputs description from the host: $(<"$xchg/outputs")"
}

# Processes the command left in the background may hold the pipes open: wait a little, then stop
# the copies. stty sets a terminal with TCSADRAIN: it returns once all output has reached the host.
flush_outputs() {
  local pid alive
  for _ in $(seq 50); do
    alive=0
    for pid in "${drains[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${drains[@]}"; do kill "$pid" 2>/dev/null; done
  stty -F /dev/ttyS0 raw
  stty -F /dev/ttyS1 raw
}

# One function called on the last line: bash reads a script while it runs, and an edit meanwhile
# must not change what a running guest does.
main() {
  (($# >= 2)) || fail "usage: kernel-test-init.sh <shared dir> <repository>"
  mount_guest_filesystems
  mount_host_directories "$1" "$2"
  load_modules
  legacy_iptables
  prepare_outputs

  local up_start up_end rc
  read -r up_start _ </proc/uptime
  env -i /usr/bin/bash --noprofile --norc "$xchg/job.sh" </dev/null >"${outputs[0]}" 2>"${outputs[1]}"
  rc=$?
  read -r up_end _ </proc/uptime
  flush_outputs

  echo "$up_start $up_end" >"$xchg/times"
  echo "$rc" >"$xchg/status.tmp" && mv "$xchg/status.tmp" "$xchg/status" || fail "cannot report the exit status"
  power_off
}

main "$@"
