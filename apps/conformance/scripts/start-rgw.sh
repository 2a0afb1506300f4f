#!/usr/bin/env bash
# start-rgw.sh DIR
#
# Brings up a throwaway Ceph cluster for the S3 conformance tests: one monitor, one OSD whose data
# lives in RAM (memstore), and a RADOS Gateway speaking S3 on 127.0.0.1. Nothing outside DIR is
# written, and every daemon's PID is recorded under DIR/run so stop-rgw.sh can end exactly those.
#
# Last line on success (parsed by src/emulators/rgw.ts):
#   READY endpoint=http://127.0.0.1:PORT access_key=... secret_key=... dir=DIR
#
# Environment (all optional):
#   WAL_RGW_PORT       S3 port                      (default 17480)
#   WAL_RGW_MON_PORT   monitor msgr2 port           (default 13300)
#   WAL_RGW_MON_V1_PORT monitor legacy msgr1 port   (default 16789)
#   WAL_RGW_ACCESS_KEY / WAL_RGW_SECRET_KEY  credentials of the S3 user (default waltest / walsecret-not-real)
#   WAL_RGW_MEMSTORE_BYTES  RAM the OSD may use     (default 1 GiB)
#
# Requires Debian packages: ceph-mon ceph-osd radosgw ceph-common, and curl.
set -euo pipefail

dir_arg=${1:?usage: start-rgw.sh DIR  (DIR must not exist yet)}
s3_port=${WAL_RGW_PORT:-17480}
mon_port=${WAL_RGW_MON_PORT:-13300}
mon_v1_port=${WAL_RGW_MON_V1_PORT:-16789}
access_key=${WAL_RGW_ACCESS_KEY:-waltest}
secret_key=${WAL_RGW_SECRET_KEY:-walsecret-not-real}
memstore_bytes=${WAL_RGW_MEMSTORE_BYTES:-1073741824}

started_at=$SECONDS
say() { echo "[start-rgw +$((SECONDS - started_at))s] $*"; }
fail() { echo "[start-rgw +$((SECONDS - started_at))s] ERROR: $*" >&2; exit 1; }

for bin in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool curl; do
  command -v "$bin" > /dev/null || fail "missing '$bin'; install with: apt-get install -y ceph-mon ceph-osd radosgw ceph-common curl"
done
[ -e "$dir_arg" ] && fail "$dir_arg already exists; stop-rgw.sh removes a previous cluster"
for port in "$s3_port" "$mon_port" "$mon_v1_port"; do
  # A successful connect means someone else owns the port; Ceph would fail later with a vaguer message.
  if (exec 9<>"/dev/tcp/127.0.0.1/$port") 2> /dev/null; then fail "127.0.0.1:$port is in use (set WAL_RGW_*PORT)"; fi
done

mkdir -p "$dir_arg"
root=$(cd "$dir_arg" && pwd)
mkdir -p "$root/run" "$root/log" "$root/crash" "$root/mon/ceph-a" "$root/osd/ceph-0" "$root/rgw"
conf=$root/ceph.conf
fsid=$(cat /proc/sys/kernel/random/uuid)
osd_uuid=$(cat /proc/sys/kernel/random/uuid)
mon_addrs="[v2:127.0.0.1:$mon_port,v1:127.0.0.1:$mon_v1_port]"

# A half-started cluster must not outlive a failed start: end the daemons recorded so far.
on_exit() {
  local rc=$?
  if [ "$rc" -ne 0 ]; then
    for pidfile in "$root"/run/*.pid; do
      [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2> /dev/null || true
    done
  fi
  exit "$rc"
}
trap on_exit EXIT

cat > "$conf" << CONF
[global]
fsid = $fsid
mon host = $mon_addrs
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
# A private throwaway cluster: no cephx.
auth cluster required = none
auth service required = none
auth client required = none
# radosgw defaults this to "secure", which needs cephx; with auth none it would never connect.
ms mon client mode = crc
run dir = $root/run
crash dir = $root/crash
admin socket = $root/run/\$name.asok
log file = $root/log/\$name.log
mon data = $root/mon/\$cluster-\$id
osd data = $root/osd/\$cluster-\$id
# RAM-backed OSD: fast, and nothing to clean up on disk.
osd objectstore = memstore
memstore device bytes = $memstore_bytes
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 1
# Map changes are proposed almost at once; the defaults add several seconds to every pool creation.
paxos propose interval = 0.01
paxos min wait = 0.001

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$s3_port
rgw data = $root/rgw
CONF

# daemon NAME CMD...: run CMD in the foreground mode of the daemon, in the background of this shell.
daemon() {
  local name=$1
  shift
  "$@" < /dev/null > "$root/log/$name.out" 2>&1 &
  echo "$!" > "$root/run/$name.pid"
}
running() { kill -0 "$(cat "$root/run/$1.pid")" 2> /dev/null; }
# wait_for NAME TRIES CHECK...: poll CHECK every 0.2s while daemon NAME lives.
wait_for() {
  local name=$1 tries=$2
  shift 2
  local i
  for ((i = 0; i < tries; i++)); do
    if "$@"; then return 0; fi
    running "$name" || { tail -n 20 "$root/log/$name.out" >&2 || true; fail "$name exited during start-up (logs in $root/log)"; }
    sleep 0.2
  done
  fail "$name did not become ready (logs in $root/log)"
}

monmaptool --create --fsid "$fsid" --addv a "$mon_addrs" "$root/monmap" > "$root/log/monmap.out" 2>&1 \
  || fail "monmaptool failed: $(cat "$root/log/monmap.out")"
ceph-mon -c "$conf" --mkfs -i a --monmap "$root/monmap" > "$root/log/mon-mkfs.out" 2>&1 \
  || fail "ceph-mon --mkfs failed: $(cat "$root/log/mon-mkfs.out")"
daemon mon.a ceph-mon -c "$conf" -f -i a
mon_answers() { ceph -c "$conf" --connect-timeout 2 mon stat > /dev/null 2>&1; }
wait_for mon.a 150 mon_answers
say "monitor up"

osd_id=$(ceph -c "$conf" osd new "$osd_uuid")
[ "$osd_id" = 0 ] || fail "expected osd id 0, got '$osd_id'"
ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$osd_uuid" > "$root/log/osd-mkfs.out" 2>&1 \
  || fail "ceph-osd --mkfs failed: $(cat "$root/log/osd-mkfs.out")"
daemon osd.0 ceph-osd -c "$conf" -f -i 0
osd_is_up() { ceph -c "$conf" osd stat -f json 2> /dev/null | grep -q '"num_up_osds":1'; }
wait_for osd.0 300 osd_is_up
say "osd up"

daemon rgw.a radosgw -c "$conf" -n client.rgw.a -f
rgw_answers() { curl -s -o /dev/null "http://127.0.0.1:$s3_port/"; }
wait_for rgw.a 600 rgw_answers
say "radosgw answering on port $s3_port"

radosgw-admin -c "$conf" user create --uid=wal --display-name=wal \
  --access-key="$access_key" --secret-key="$secret_key" > "$root/log/user-create.out" 2>&1 \
  || fail "radosgw-admin user create failed (see $root/log/user-create.out)"

echo "READY endpoint=http://127.0.0.1:$s3_port access_key=$access_key secret_key=$secret_key dir=$root"
