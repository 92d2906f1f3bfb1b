#!/usr/bin/env bash
# Four (or N) live streams through N refsegbins that share one model, each
# stream's results published under its own name (cam1, cam2, ...).
#
# Every refsegbin names the same model, so the process loads it once and the
# streams take turns at it: each analyses its newest frame in rotation and
# every stream keeps its frame rate (docs/deployment.md, "The fleet on
# paper"). The pipeline it runs is printed first: copy it to build your own.
#
#   examples/four_streams.sh [--model refseg-tiny] [--text "the red circle"]
#       [--mqtt HOST:PORT | --dir DIR] [--seconds N] [--width 640 --height 480]
#       [URI ...]
#
# URIs (rtsp://, file://, http://: anything uridecodebin opens) are the
# cameras, one stream each; without any, four synthetic live scenes
# (refsegworldsrc is-live=true). Results go to an MQTT broker (--mqtt:
# topics refseg/camN/results; the control topics refseg/camN/set and
# refseg/fleet/set, one sentence for all) or as JSON Lines to DIR/camN.jsonl
# (--dir, default ./refseg-results). --seconds N stops after N seconds
# (EOS, so every publisher drains its queue); otherwise Ctrl-C does.
set -euo pipefail

model=refseg-tiny text="the red circle" mqtt="" dir=refseg-results seconds=0
width=640 height=480
uris=()
while [ $# -gt 0 ]; do
  case $1 in
    --model) model=$2; shift 2 ;;
    --text) text=$2; shift 2 ;;
    --mqtt) mqtt=$2; shift 2 ;;
    --dir) dir=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --width) width=$2; shift 2 ;;
    --height) height=$2; shift 2 ;;
    -h|--help) sed -n '2,20s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "four_streams.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) uris+=("$1"); shift ;;
  esac
done
n=${#uris[@]}
[ "$n" -gt 0 ] || n=4
[ -n "$mqtt" ] || mkdir -p "$dir"

args=()
for i in $(seq 1 "$n"); do
  name=cam$i
  if [ ${#uris[@]} -gt 0 ]; then
    # Video only: a camera's audio is not exposed (nothing would take it).
    args+=(uridecodebin "uri=${uris[$((i - 1))]}" expose-all-streams=false "caps=video/x-raw(ANY)"
           ! videoconvert ! videoscale)
  else
    args+=(refsegworldsrc is-live=true "seed=$i")
  fi
  args+=(! "video/x-raw,format=RGB,width=$width,height=$height" ! queue max-size-buffers=2
         ! refsegbin "name=$name" "model=$model" "text=$text")
  if [ -n "$mqtt" ]; then
    args+=(! refsegpublish method=mqtt "address=$mqtt" "stream-name=$name"
           "control-topic=refseg/{stream}/set,refseg/fleet/set" "reply-topic=refseg/{stream}/reply")
  else
    args+=(! refsegpublish method=file "file-path=$dir/$name.jsonl" "stream-name=$name")
  fi
  args+=(! fakesink sync=false)
done

# The command line, quoted where the shell needs it.
line="gst-launch-1.0 -e"
for a in "${args[@]}"; do
  case $a in
    *[\ \{\}\'\"\$\&\;\(\)\<\>\|]*) line+=" '${a//\'/\'\\\'\'}'" ;;
    *) line+=" $a" ;;
  esac
done
echo "$line"
if [ "$seconds" -gt 0 ]; then
  # SIGINT: gst-launch-1.0 -e sends EOS and waits for it to reach the sinks;
  # its status is the script's.
  exec timeout --foreground --preserve-status -s INT -k 20 "$seconds" gst-launch-1.0 -e "${args[@]}"
fi
exec gst-launch-1.0 -e "${args[@]}"
