#!/usr/bin/env bash
# A network camera that disconnects and comes back: an RTSP server on
# loopback (rtsp_camera, gst-rtsp-server) serves the synthetic world as RTP
# JPEG; refseg_app --reconnect reads it with rtspsrc and publishes a
# document per frame to a JSON Lines file. The server is killed mid-run and
# started again on the same port, twice: first as it was (320x240), then
# reconfigured (384x288). The app builds its source again by itself and the
# documents resume with the same stream name, from the same publisher (its
# sequence runs on), at the camera's size, with selections; nothing
# analysed before an outage is applied after it (new tracks). Last the
# camera freezes (SIGSTOP: connected, silent) and thaws: the app gives up on
# it after --silence seconds and connects again.
#   test_rtsp_reconnect.sh SOURCE_DIR REFSEG_APP RTSP_CAMERA|none
set -u
src=$1 app=$2 camera=$3
if [ "$camera" = none ] || [ ! -x "$camera" ]; then
  echo "skipped: gst-rtsp-server (libgstrtspserver-1.0-dev) was not found at configure time"
  exit 77
fi
for e in rtspsrc rtpjpegpay rtpjpegdepay jpegenc jpegdec videoscale; do
  gst-inspect-1.0 "$e" >/dev/null 2>&1 || { echo "skipped: no GStreamer element $e"; exit 77; }
done
failures=0
check() {
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failures=$((failures + 1)); fi
}
tmp=$(mktemp -d)
camera_pid="" app_pid=""
cleanup() {
  [ -n "$app_pid" ] && kill -9 "$app_pid" 2>/dev/null
  [ -n "$camera_pid" ] && kill -9 "$camera_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s; false on time out.
wait_for() {
  local n=$(($1 * 5)); shift
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.2; done
  return 1
}
lines() { if [ -f "$tmp/cam1.jsonl" ]; then wc -l <"$tmp/cam1.jsonl"; else echo 0; fi; }
more_lines_than() { [ "$(lines)" -gt "$1" ]; }
# tracked_after N: a document after line N has a tracked selection.
tracked_after() { tail -n +$(($1 + 1)) "$tmp/cam1.jsonl" | grep -q '"track_id":[0-9]'; }

# The camera: seed 4 has a red circle that refseg-tiny finds at 320x240
# and 384x288, through JPEG (RTP JPEG sizes are multiples of 8).
start_camera() {  # start_camera PORT(0: any free one) WIDTH HEIGHT; sets camera_pid and port
  local launch="( refsegworldsrc seed=4 is-live=true ! video/x-raw,width=$2,height=$3,framerate=10/1
    ! videoconvert ! video/x-raw,format=I420 ! jpegenc ! rtpjpegpay name=pay0 pt=96 )"
  : >"$tmp/camera.out"
  "$camera" "$1" "$launch" >"$tmp/camera.out" 2>&1 &
  camera_pid=$!
  wait_for 30 grep -q '^port ' "$tmp/camera.out" || return 1
  port=$(awk '/^port /{print $2}' "$tmp/camera.out")
}
start_camera 0 320 240 || { cat "$tmp/camera.out"; echo "FAIL: the RTSP server did not start"; exit 1; }
echo "camera: rtsp://127.0.0.1:$port/cam"

"$app" --model "$src/models/pretrained/refseg-tiny.pt" --sink "fakesink sync=false" --reconnect --silence 3 \
  --source "rtspsrc location=rtsp://127.0.0.1:$port/cam protocols=tcp latency=100 ! rtpjpegdepay ! jpegdec" \
  --publish "method=file file-path=$tmp/cam1.jsonl stream-name=cam1 every-frame=true" \
  "the red circle" </dev/null >"$tmp/app.out" 2>&1 &
app_pid=$!

check "documents arrive from the camera" wait_for 120 more_lines_than 10
check "with the red circle tracked" wait_for 120 tracked_after 0
for outage in 1 2; do
  # The camera loses power: its process and connections end at once.
  kill -9 "$camera_pid"
  wait "$camera_pid" 2>/dev/null
  camera_pid=""
  check "outage $outage: the app sees the camera go" \
    wait_for 30 eval '[ "$(grep -c "^source: lost" "$tmp/app.out")" -ge '"$outage"' ]'
  sleep 3
  before=$(lines)
  check "outage $outage: the app keeps trying while the camera is away" \
    grep -q '^source: trying again' "$tmp/app.out"
  # The same camera, then the camera reconfigured.
  if [ "$outage" = 1 ]; then width=320 height=240; else width=384 height=288; fi
  start_camera "$port" $width $height || {
    cat "$tmp/camera.out"; echo "FAIL: the RTSP server did not start again on $port"; exit 1; }
  check "outage $outage: the app says the camera is back" \
    wait_for 120 eval '[ "$(grep -c "^source: back after" "$tmp/app.out")" -ge '"$outage"' ]'
  check "outage $outage: documents resume" wait_for 120 more_lines_than $((before + 10))
  check "outage $outage: with the red circle tracked" wait_for 120 tracked_after "$before"
done
# The camera freezes: the connection stays open and nothing comes.
kill -STOP "$camera_pid"
check "frozen: the app gives the camera up after --silence" \
  wait_for 30 grep -q '^source: lost (no frame for 3 s)' "$tmp/app.out"
before=$(lines)
kill -CONT "$camera_pid"
check "frozen: the app says the camera is back" \
  wait_for 120 eval '[ "$(grep -c "^source: back after" "$tmp/app.out")" -ge 3 ]'
check "frozen: documents resume" wait_for 120 more_lines_than $((before + 10))
check "frozen: with the red circle tracked" wait_for 120 tracked_after "$before"
# Ctrl-C: the end of stream drains the publisher; the app exits 0.
kill -INT "$app_pid"
wait_for 60 eval '! kill -0 '"$app_pid"' 2>/dev/null'
wait "$app_pid"
rc=$?
app_pid=""
grep '^source:' "$tmp/app.out"
check "refseg_app exits 0 after Ctrl-C" test $rc -eq 0

# The documents: four runs of the camera, split by the three outages.
/usr/bin/python3 - "$tmp/cam1.jsonl" <<'EOF'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1])]
runs, gaps = [[docs[0]]], []
for a, b in zip(docs, docs[1:]):
    gap = b["running_time_ns"] - a["running_time_ns"]
    if gap >= 2e9:
        runs.append([])
        gaps.append(gap / 1e9)
    runs[-1].append(b)
print("%d documents: runs of %s between gaps of %s s" %
      (len(docs), [len(r) for r in runs], ["%.1f" % g for g in gaps]))
failed = []


def need(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        failed.append(what)


def tracks(run):
    return {r["track_id"] for d in run for r in d["results"]
            if r["index"] >= 0 and r["track_id"] is not None}


need(len(runs) == 4, "three outages, each a gap of at least 2 s in running time")
need({d["stream"] for d in docs} == {"cam1"}, "every document names the stream cam1")
need([d["sequence"] for d in docs] == list(range(len(docs))),
     "one publisher throughout: the sequence runs on across the outages")
times = [d["running_time_ns"] for d in docs]
need(all(b > a for a, b in zip(times, times[1:])), "running time only increases")
sizes = [(320, 240), (320, 240), (384, 288), (384, 288)]
for k, run in enumerate(runs[:4]):
    w, h = sizes[k]
    need(all(d["frame"] == {"width": w, "height": h} for d in run),
         "run %d: every frame is %dx%d" % (k + 1, w, h))
    need(len(tracks(run)) > 0, "run %d: the red circle is selected and tracked" % (k + 1))
    if k == 0:
        continue
    last = runs[k - 1][-1]["pts_ns"]
    need(all(d["analysed_pts_ns"] is None or d["analysed_pts_ns"] > last for d in run),
         "run %d: every result comes from an analysis after the outage" % (k + 1))
    need(not (tracks(run) & set().union(*map(tracks, runs[:k]))),
         "run %d: its tracks are new" % (k + 1))
sys.exit(1 if failed else 0)
EOF
check "the documents tell the outages and the resumptions" test $? -eq 0
/usr/bin/python3 "$src/tests/publish/test_schema.py" "$src/docs/schema/refseg-results-v1.json" \
  --jsonl "$tmp/cam1.jsonl"
rc=$?
[ $rc -eq 77 ] && echo "schema check skipped: python3-jsonschema is missing"
[ $rc -eq 77 ] || check "the documents validate against the schema" test $rc -eq 0

[ $failures -eq 0 ] || { echo "$failures check(s) failed"; tail -20 "$tmp/app.out"; exit 1; }
