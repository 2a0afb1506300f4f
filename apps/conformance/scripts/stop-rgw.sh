#!/usr/bin/env bash
# stop-rgw.sh DIR
#
# Ends the daemons that start-rgw.sh DIR recorded (by PID, gateway first so no request is half-served
# by a vanished OSD), then removes DIR. KEEP=1 keeps DIR for its logs. Safe to run twice.
set -u
root=${1:?usage: stop-rgw.sh DIR}
if [ ! -d "$root/run" ]; then
  echo "[stop-rgw] nothing to stop in $root"
  exit 0
fi
for name in rgw.a osd.0 mon.a; do
  pidfile=$root/run/$name.pid
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2> /dev/null || continue
  kill -TERM "$pid" 2> /dev/null
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2> /dev/null; then
    kill -KILL "$pid" 2> /dev/null
    echo "[stop-rgw] $name (pid $pid) did not exit on TERM; killed"
  else
    echo "[stop-rgw] stopped $name (pid $pid)"
  fi
done
if [ "${KEEP:-0}" = 1 ]; then
  echo "[stop-rgw] kept $root"
else
  rm -rf "$root"
fi
