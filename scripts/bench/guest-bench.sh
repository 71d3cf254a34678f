# Guest side of scripts/bench.sh (runs as a qemu-test.sh scenario: lib.sh is
# sourced, under set -euo pipefail). Both initiators log in to the same LIO
# LUN(s) at the same time, the LUNs are filled once, then each job runs REPS
# times per initiator in interleaved order (rep 1: ours, theirs; rep 2:
# theirs, ours; ...), each run in its own fio process with a /proc/stat
# snapshot right before and right after it. Then iperf3 over loopback, and
# scripts/bench/table.py makes the table and bench.json.
#
# With --ab SETTING (BENCH_AB) open-iscsi does not log in: the two sides
# are our own disks, "ours-a" with the setting as the boot found it and
# "ours-b" with SETTING, written right before each of its runs and put back
# right before each ours-a run, so that a setting is compared with the
# default in one boot, interleaved, free of the boot-to-boot noise. SETTING
# is param/NAME=VALUE (/sys/module/iscsi_init/parameters/NAME, a parameter
# the module reads while it runs) or queue/NAME=VALUE (the block queue
# attribute NAME of each of our disks, e.g. queue/rq_affinity=0).
#
# Files in /out (out/bench on the host), WHO being iscsi-init or open-iscsi
# (ours-a or ours-b with --ab):
#   fio-WHO-JOB-rREP.json   fio --output-format=json of that run
#   cpu-WHO-JOB-rREP.txt    "clk_tck N" (USER_HZ), "delta cpu ..." (the change of
#                           each field of the /proc/stat "cpu " line over the
#                           run), then "before cpu ..." and "after cpu ...": the
#                           line right before and right after the run; then
#                           "ctxt N", "ipi_res N", "ipi_cal N": context
#                           switches and rescheduling and function-call IPIs
#                           over the run (/proc/stat, /proc/interrupts)
#   iperf3.json             iperf3 -J
#   bench-run.txt           the run's settings (key=value), for the table
#   bench-table.txt, bench.json   scripts/bench/table.py's output
#   perf-WHO-JOB.txt        with --perf: perf report of one more run of JOB
#                           through WHO under a system-wide perf record (by
#                           command, by module, by both, by symbol; spin lock
#                           waits by caller); not in the table
#   perf-fio-WHO-JOB.json   with --perf: fio's JSON of that run
# A fio run that fails is logged and leaves no fio JSON: the table counts
# the runs it has and shows n/a where it has none.

# Values from scripts/bench.sh come through the guest environment file.
[ -f /out/bench.env ] && . /out/bench.env
runtime=${BENCH_RUNTIME:-10} reps=${BENCH_REPS:-3} digests=${BENCH_DIGESTS:-0}
scale=${BENCH_SCALE:-0} sessions=${BENCH_SESSIONS:-1} luns=${BENCH_LUNS:-1}
tx=${BENCH_TX:-work}
rx_depth=${BENCH_RX_DEPTH:-} rx_lowat=${BENCH_RX_LOWAT:-} tx_highpri=${BENCH_TX_HIGHPRI:-}
perf=${BENCH_PERF:-0}
ab=${BENCH_AB:-}
fio_cpu=${BENCH_FIO_CPU:-none}
. "$REPO/scripts/bench/jobs.sh"

# LUN size: 1 GiB, or in the scaling variant 1 GiB shared by its disks
# (at least 64 MiB each).
mib=1024
if ((scale)); then mib=$((1024 / (sessions * luns))); ((mib >= 64)) || mib=64; fi

jobs=()
if ((scale)); then
  jobs=("scale-${sessions}x${luns}-4k-randread-qd32 $bench_scale_opts")
else
  for j in "${bench_jobs[@]}"; do
    name=${j%% *}
    # BENCH_JOBS (space-separated names) selects a subset.
    [ -z "${BENCH_JOBS:-}" ] || [[ " $BENCH_JOBS " == *" $name "* ]] || continue
    jobs+=("$j")
  done
fi

# --- targets: one per session, each on its own port, LUNS ramdisk LUNs each
iqns=()
for ((s = 0; s < sessions; s++)); do
  iqns+=("$(lio_setup -t "iqn.2003-01.org.linux-iscsi.guest:bench$s" -p $((3260 + s)) -l "$luns" -s "$mib")")
done

# --- LIO pins each connection's receive and transmit threads to one vCPU,
# the connection's number in its thread bitmap modulo the vCPUs it may use
# (iscsit_thread_get_cpumask()). Numbers are handed out at login and freed
# when a connection ends, and a discovery connection still ending when the
# next login comes shifts them: with 2 vCPUs and 4 sessions each, three of
# ours were served on vCPU 1 and all of open-iscsi's on vCPU 0. Confined
# to vCPU 0 (LIO's cpus_allowed_list, read at each login), every
# connection of both initiators is served on the same vCPU, whatever the
# order of the logins.
lio_cfs=/sys/kernel/config/target/iscsi/cpus_allowed_list
echo 0 >"$lio_cfs" || die "cannot confine LIO's connection threads to vCPU 0 ($lio_cfs)"
log "LIO's connection threads confined to vCPU $(cat "$lio_cfs")"

# --- both initiators logged in at once, to the same LUNs. Distinct initiator
# names: two I_T nexuses that LIO keeps apart.
ii_args=(--initiator-name iqn.2026-11.org.iscsi-init:bench-ours)
oi_settings=()
if ((digests)); then
  ii_args+=(--header-digest CRC32C --data-digest CRC32C)
  oi_settings=("node.conn[0].iscsi.HeaderDigest=CRC32C" "node.conn[0].iscsi.DataDigest=CRC32C")
fi
mkdir -p /etc/iscsi
echo "InitiatorName=iqn.2026-11.org.iscsi-init:bench-open-iscsi" >/etc/iscsi/initiatorname.iscsi
ours=() theirs=()
# --tx inline|thread: the module loaded with tx_inline=1 or tx_work=0 before
# the first login (work: its defaults); --rx-depth N: rx_thread_depth=N;
# --rx-lowat 0|1: rx_lowat; --tx-highpri 0|1: tx_highpri.
mod_params=()
case $tx in
  inline) mod_params+=(tx_inline=1);;
  thread) mod_params+=(tx_work=0);;
esac
[ -z "$rx_depth" ] || mod_params+=("rx_thread_depth=$rx_depth")
[ -z "$rx_lowat" ] || mod_params+=("rx_lowat=$rx_lowat")
[ -z "$tx_highpri" ] || mod_params+=("tx_highpri=$tx_highpri")
((${#mod_params[@]} == 0)) || insmod "$ISCSI_INIT_KO" "${mod_params[@]}"
for s in "${!iqns[@]}"; do
  iqn=${iqns[$s]} portal=127.0.0.1:$((3260 + s))
  ii_login "$iqn" "$portal" "${ii_args[@]}" >/dev/null
  wait_for "$luns disks of our session to $iqn" 30 eval 'test "$(ii_disks "$iqn" | wc -l)" -ge "$luns"'
  mapfile -t d < <(ii_disks "$iqn")
  ours+=("${d[@]}")
  [ -z "$ab" ] || continue
  oi_login "$iqn" "$portal" "${oi_settings[@]}" >/dev/null
  wait_for "$luns disks of open-iscsi's session to $iqn" 30 eval 'test "$(oi_disks "$iqn" | wc -l)" -ge "$luns"'
  mapfile -t d < <(oi_disks "$iqn")
  theirs+=("${d[@]}")
done
log "iscsi-init disks: ${ours[*]}; open-iscsi disks: ${theirs[*]}"

# --ab: the files SETTING writes, and what each held at the start (side a).
ab_files=() ab_orig=() ab_value=
if [ -n "$ab" ]; then
  [[ $ab =~ ^(param|queue)/([a-z0-9_]+)=([A-Za-z0-9_.-]+)$ ]] || die "--ab $ab: not param/NAME=VALUE or queue/NAME=VALUE"
  ab_value=${BASH_REMATCH[3]}
  if [ "${BASH_REMATCH[1]}" = param ]; then
    ab_files=("/sys/module/iscsi_init/parameters/${BASH_REMATCH[2]}")
  else
    for d in "${ours[@]}"; do ab_files+=("/sys/block/${d#/dev/}/queue/${BASH_REMATCH[2]}"); done
  fi
  for f in "${ab_files[@]}"; do
    [ -f "$f" ] && [ -w "$f" ] || die "--ab $ab: $f is not a writable setting"
    ab_orig+=("$(cat "$f")")
  done
fi
ab_set() { # a|b: each file of SETTING back to its start value (a) or to VALUE (b)
  local i
  for i in "${!ab_files[@]}"; do
    if [ "$1" = a ]; then
      printf '%s' "${ab_orig[$i]}" >"${ab_files[$i]}" || die "--ab: cannot put ${ab_orig[$i]} back in ${ab_files[$i]}"
    else
      printf '%s' "$ab_value" >"${ab_files[$i]}" || die "--ab $ab: ${ab_files[$i]} refused $ab_value"
    fi
  done
}
if [ -n "$ab" ]; then
  ab_set b
  log "--ab $ab: side b has $(cat "${ab_files[0]}") in ${ab_files[*]}"
  ab_set a
  log "--ab $ab: side a has $(cat "${ab_files[0]}") (as found)"
fi

# --tx: how our module sends (its tx_inline parameter; sysfs shows it per host).
for iqn in "${iqns[@]}"; do
  f=/sys/class/scsi_host/host$(ii_host "$iqn")/iscsi_tx_inline
  [ "$(cat "$f")" = "$( [ "$tx" = inline ] && echo 1 || echo 0)" ] || die "iscsi_tx_inline is $(cat "$f") with --tx $tx"
  log "iscsi-init: iscsi_tx_inline $(cat "$f"), tx_work $(cat /sys/module/iscsi_init/parameters/tx_work), rx_thread_depth $(cat /sys/module/iscsi_init/parameters/rx_thread_depth), can_queue $(cat "${f%/*}/can_queue"), cmd_per_lun $(cat "${f%/*}/cmd_per_lun") on the session to $iqn"
done

# With --digests, both must really run with CRC32C both ways.
if ((digests)); then
  for iqn in "${iqns[@]}"; do
    p=/sys/class/scsi_host/host$(ii_host "$iqn")/iscsi_params
    grep -qx HeaderDigest=CRC32C "$p" && grep -qx DataDigest=CRC32C "$p" ||
      { cat "$p" || true; die "iscsi-init: digests not CRC32C on the session to $iqn"; }
  done
  # libiscsi shows the negotiated digests as 1 (CRC32C) or 0 (None).
  for c in /sys/class/iscsi_connection/connection*; do
    for f in header_digest data_digest; do
      v=$(cat "$c/$f")
      [ "$v" = 1 ] || [ "$v" = CRC32C ] || die "open-iscsi: $f is $v on $(basename "$c")"
    done
  done
  log "digests: HeaderDigest and DataDigest CRC32C on every session of both initiators"
fi

# --- fill the LUNs once, through our disks (the LUNs are shared: both
# initiators read the same pages).
t0=$SECONDS
for disk in "${ours[@]}"; do
  dd if=/dev/zero of="$disk" bs=1M count="$mib" oflag=direct status=none
done
log "filled ${#ours[@]} LUNs of $mib MiB in $((SECONDS - t0)) s"

# --fio-cpu: where fio's jobs run. LIO pins each connection's threads to one
# vCPU (above); fio sharing that vCPU or not moves QD1 IOPS by up to 1.75x,
# for both initiators alike. "apart" pins fio to the first vCPU none of
# those threads is pinned to, as if the target were another host.
cpu_list_expand() { # LIST...: the CPU numbers of cpulist strings ("0-1,3"), one per line
  local l r parts
  for l in "$@"; do
    IFS=, read -r -a parts <<<"$l"
    for r in "${parts[@]}"; do
      if [[ $r == *-* ]]; then seq "${r%-*}" "${r#*-}"; else echo "$r"; fi
    done
  done
}
# LIO's connection threads in PID order (the order of the logins: ours,
# then open-iscsi's, per target), each with the vCPUs it may run on.
lio_threads=() lio_lists=()
for p in $(pgrep -x 'iscsi_trx|iscsi_ttx' | sort -n); do
  l=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$p/status")
  lio_threads+=("$(cat "/proc/$p/comm")/$p on vCPU $l")
  lio_lists+=("$l")
done
lio_cpus=$( ((${#lio_lists[@]} == 0)) || printf '%s\n' "${lio_lists[@]}" | sort -u | paste -sd,)
mapfile -t lio_cpu_set < <(cpu_list_expand "$lio_cpus" | sort -un)
t=$(printf '%s, ' "${lio_threads[@]}")
log "LIO's connection threads: ${t%, }"
fio_pin=
case $fio_cpu in
  none) ;;
  apart)
    [ -n "$lio_cpus" ] || die "--fio-cpu apart: no LIO connection thread (iscsi_trx, iscsi_ttx) found"
    for ((c = 0; c < $(nproc); c++)); do
      [[ " ${lio_cpu_set[*]} " == *" $c "* ]] || { fio_pin=$c; break; }
    done
    [ -n "$fio_pin" ] || die "--fio-cpu apart: LIO's connection threads may run on every vCPU (${lio_cpus:-none found})"
    ;;
  *) ((fio_cpu < $(nproc))) || die "--fio-cpu $fio_cpu: the guest has $(nproc) vCPUs"; fio_pin=$fio_cpu;;
esac
log "fio's jobs: $([ -n "$fio_pin" ] && echo "pinned to vCPU $fio_pin" || echo "where the scheduler puts them")"

clk_tck=$(getconf CLK_TCK)
names=()
for j in "${jobs[@]}"; do names+=("${j%% *}"); done
{
  echo "flavour=${FLAVOUR:-}"
  echo "kernel=${KVER:-}"
  echo "runtime=$runtime"
  echo "reps=$reps"
  if ((digests)); then echo "digests=CRC32C"; else echo "digests=None"; fi
  echo "sessions=$sessions"
  echo "luns=$luns"
  echo "tx=$tx"
  echo "rx_depth=$(cat /sys/module/iscsi_init/parameters/rx_thread_depth)"
  echo "rx_lowat=$(cat /sys/module/iscsi_init/parameters/rx_lowat)"
  echo "tx_highpri=$(cat /sys/module/iscsi_init/parameters/tx_highpri)"
  echo "perf=$perf"
  echo "ab=$ab"
  echo "fio_cpu=${fio_pin:-any}"
  echo "lio_cpus=${lio_cpus:-?}"
  echo "lun_mib=$mib"
  echo "jobs=${names[*]}"
  echo "clk_tck=$clk_tck"
  echo "cpus=$(nproc)"
} >/out/bench-run.txt

# No --ramp_time: fio does not count the I/Os of its ramp time, while the
# /proc/stat window around the fio process would count their CPU time. Without
# a ramp the I/Os fio reports (total_ios) are all those of the CPU window.
# The window also holds fio's own start and exit (the same for both
# initiators).
common=(--direct=1 --ioengine=libaio --time_based --runtime="$runtime" --size="${mib}m"
  --group_reporting --lat_percentiles=1 --percentile_list=50:99:99.9 --output-format=json)
[ -z "$fio_pin" ] || common+=(--cpus_allowed="$fio_pin")
# stat_sum NAME LINE...: the sum of the numbers after NAME on the line that
# starts with it (/proc/stat's "ctxt N", /proc/interrupts' "RES: N N ..."
# per CPU, up to the description).
stat_sum() {
  local name=$1 l f x n=0; shift
  for l in "$@"; do
    read -r -a f <<<"$l"
    [ "${f[0]:-}" = "$name" ] || continue
    for x in "${f[@]:1}"; do [[ $x =~ ^[0-9]+$ ]] || break; n=$((n + x)); done
  done
  echo "$n"
}
run_fio() { # WHO NAME REP "FIO OPTIONS" DISK...: one fio process, one job section per disk
  local who=$1 name=$2 rep=$3 opts=$4; shift 4
  local json=/out/fio-$who-$name-r$rep.json cpu=/out/cpu-$who-$name-r$rep.txt
  local args=() d before after rc=0
  for d in "$@"; do args+=(--name="$name-${d##*/}" --filename="$d"); done
  # `read` and `mapfile` are builtins: no fork between the snapshots and fio.
  local st0 st1 ir0 ir1
  mapfile -t ir0 </proc/interrupts
  mapfile -t st0 </proc/stat
  # Options before the first --name are global (every section's).
  # shellcheck disable=SC2086  # opts is a list of fio options
  fio $opts "${common[@]}" --output="$json" "${args[@]}" >/dev/null 2>/tmp/fio-err.txt || rc=$?
  mapfile -t st1 </proc/stat
  mapfile -t ir1 </proc/interrupts
  # The "cpu " line is /proc/stat's first.
  before=${st0[0]} after=${st1[0]}
  if ((rc)); then
    log "$who $name rep $rep: fio failed (exit $rc); this run is left out"
    cat /tmp/fio-err.txt
    rm -f "$json"
    return 0
  fi
  # The deltas, field by field (user nice system idle iowait irq softirq
  # steal guest guest_nice, in USER_HZ ticks), after the snapshots the lines.
  local b a i delta=cpu
  read -r -a b <<<"$before"
  read -r -a a <<<"$after"
  for ((i = 1; i < ${#a[@]}; i++)); do delta+=" $((a[i] - b[i]))"; done
  printf 'clk_tck %s\ndelta %s\nbefore %s\nafter %s\n' "$clk_tck" "$delta" "$before" "$after" >"$cpu"
  # Wake-ups over the run: context switches, and the IPIs that wake or
  # call another CPU (rescheduling RES, function call CAL).
  printf 'ctxt %s\nipi_res %s\nipi_cal %s\n' \
    "$(($(stat_sum ctxt "${st1[@]}") - $(stat_sum ctxt "${st0[@]}")))" \
    "$(($(stat_sum RES: "${ir1[@]}") - $(stat_sum RES: "${ir0[@]}")))" \
    "$(($(stat_sum CAL: "${ir1[@]}") - $(stat_sum CAL: "${ir0[@]}")))" >>"$cpu"
  log "$who $name rep $rep: done"
}

if [ -n "$ab" ]; then sides=(ours-a ours-b); else sides=(iscsi-init open-iscsi); fi
for j in "${jobs[@]}"; do
  name=${j%% *} opts=${j#* }
  for ((rep = 1; rep <= reps; rep++)); do
    # Odd reps ours first, even reps theirs first: a drift over the run (the
    # host's load, the target's state) does not favour one side.
    if ((rep % 2)); then order=("${sides[@]}"); else order=("${sides[1]}" "${sides[0]}"); fi
    for who in "${order[@]}"; do
      if [ -n "$ab" ]; then
        ab_set "${who#ours-}"
        run_fio "$who" "$name" "$rep" "$opts" "${ours[@]}"
      elif [ "$who" = iscsi-init ]; then
        run_fio "$who" "$name" "$rep" "$opts" "${ours[@]}"
      else
        run_fio "$who" "$name" "$rep" "$opts" "${theirs[@]}"
      fi
    done
  done
done

# --perf: where the guest's CPU time goes, per job and initiator. One more
# run each, after the timed ones (perf's sampling costs CPU time of its own,
# so these runs are not in the table): perf record -a -g samples every CPU
# (cpu-clock, the software clock where TCG has no PMU) at 499 Hz with kernel
# call chains, and the report splits the samples by command (fio, LIO's
# threads, ours, idle), by module (iscsi_init, iscsi_tcp/libiscsi,
# target_core_mod, [kernel.vmlinux]) and by symbol, then shows who waits on
# spin locks (queued_spin_lock_slowpath by caller). Kernel symbols come from
# /proc/kallsyms of this boot; a module's from its .ko, which perf looks for
# under /lib/modules/KVER: our module is linked in there first.
perf_modules() {
  local dir=/tmp/perf-modules/$KVER
  [ -e "$dir/extra/iscsi_init.ko" ] && return 0
  # /lib/modules/KVER links to the build's module tree (read-only): a tree
  # of links to it, plus our module, takes its place.
  mkdir -p "$dir/extra"
  cp -rs "$(readlink -f "/lib/modules/$KVER")/." "$dir/"
  ln -sf "$(readlink -f "$ISCSI_INIT_KO")" "$dir/extra/iscsi_init.ko"
  rm -f "/lib/modules/$KVER"
  ln -s "$dir" "/lib/modules/$KVER"
}
# Every task's context switches so far (voluntary and not), one line per
# thread: TID, switches, command (a kworker's with the workqueue of its last
# work), after a first line with /proc/stat's ctxt (every CPU's switches,
# TID "ctxt"). The idle task has no /proc entry: its switches are ctxt less
# the sum. Around the --perf run, the difference says which threads
# sleep and wake per I/O (table.py).
task_switches() {
  awk '$1 == "ctxt" { print "ctxt", $2, "(all)" }' /proc/stat
  awk -F'\t' 'FNR == 1 { n = ""; v = 0 }
    $1 == "Name:" { n = $2 } $1 == "voluntary_ctxt_switches:" { v = $2 }
    $1 == "nonvoluntary_ctxt_switches:" { f = FILENAME; sub("/status$", "", f); sub(".*/", "", f); print f, v + $2, n }' \
    /proc/[0-9]*/task/[0-9]*/status 2>/dev/null || true
}
perf_run() { # WHO NAME "FIO OPTIONS" DISK...
  local who=$1 name=$2 opts=$3; shift 3
  local args=() d data=/tmp/perf-$who-$name.data txt=/out/perf-$who-$name.txt
  for d in "$@"; do args+=(--name="$name-${d##*/}" --filename="$d"); done
  task_switches >"/out/switches-$who-$name-0.txt"
  # shellcheck disable=SC2086  # opts is a list of fio options
  if ! perf record -a -g -F 499 -N -q -o "$data" -- \
    fio $opts "${common[@]}" --output="/out/perf-fio-$who-$name.json" "${args[@]}" >/dev/null 2>/tmp/perf-err.txt; then
    log "$who $name: perf record failed; no profile"
    cat /tmp/perf-err.txt
    return 0
  fi
  task_switches >"/out/switches-$who-$name-1.txt"
  local flat=(perf report -i "$data" --stdio --no-children -g none)
  # perf report's lines without its comments and blank lines; an empty
  # report (no sample of a spin lock, say) is not an error.
  report() { "$@" 2>/dev/null | grep -v '^#' | sed '/^$/d' || true; }
  {
    echo "# $name through $who: one run under perf record -a -g -F 499 (cpu-clock), not in the table"
    echo "# fio's figures of this run: perf-fio-$who-$name.json"
    echo "## by command"
    report "${flat[@]}" --sort comm --percent-limit 1
    echo "## by module"
    report "${flat[@]}" --sort dso --percent-limit 0.5
    echo "## by command and module"
    report "${flat[@]}" --sort comm,dso --percent-limit 0.5
    echo "## by symbol (0.3 % and more)"
    report "${flat[@]}" --sort dso,sym --percent-limit 0.3
    echo "## spin lock waits (queued_spin_lock_slowpath), by command and caller"
    report perf report -i "$data" --stdio --no-children --sort comm,sym -S queued_spin_lock_slowpath \
      -G --percent-limit 0.1
  } >"$txt"
  rm -f "$data"
  log "$who $name: profile in $(basename "$txt")"
}
if ((perf)); then
  perf_modules || log "our module's symbols will show as addresses: could not link it into /lib/modules/$KVER"
  for j in "${jobs[@]}"; do
    name=${j%% *} opts=${j#* }
    perf_run iscsi-init "$name" "$opts" "${ours[@]}"
    perf_run open-iscsi "$name" "$opts" "${theirs[@]}"
  done
fi

for iqn in "${iqns[@]}"; do
  h=/sys/class/scsi_host/host$(ii_host "$iqn")
  log "iscsi-init: $(cat "$h/iscsi_tx_inline_sends") inline sends, $(cat "$h/iscsi_tx_work_sends") work item sends, $(cat "$h/iscsi_rx_thread_reads") receive thread reads on the session to $iqn"
done
ii logout --all >/dev/null || log "iscsi-init logout failed"
[ -n "$ab" ] || for s in "${!iqns[@]}"; do oi_logout "${iqns[$s]}" "127.0.0.1:$((3260 + s))" || log "open-iscsi logout failed"; done
pkill -x iscsid || true

# --- iperf3 over loopback: what one TCP stream gets in this guest
iperf3 -s -D -1 -B 127.0.0.1 >/dev/null; sleep 1
iperf3 -c 127.0.0.1 -t 10 -J >/out/iperf3.json || log "iperf3 failed"

python3 "$REPO/scripts/bench/table.py" /out --json /out/bench.json >/out/bench-table.txt
cat /out/bench-table.txt
