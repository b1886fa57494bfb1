#!/usr/bin/env bash
# Start vLLM's OpenAI-compatible server on 127.0.0.1 for the tests in tests/server/ and wait until
# it answers. Usage:
#   VLLM_API_KEY=KEY tests/server/run_vllm.sh VENV CHECKPOINT PORT LOG PIDFILE
# Stop it with: kill -TERM "$(cat PIDFILE)"   (its own process group: setsid)
# Flags (see reference/environment.md): fp32 so greedy tokens match the in-process engine exactly,
# eager mode (no compile step on CPU), one image per prompt, a 4096-token context, 1 GiB KV cache.
set -euo pipefail
venv=$1 ckpt=$2 port=$3 log=$4 pidfile=$5
: "${VLLM_API_KEY:?set VLLM_API_KEY to the key the server should require}"
export VLLM_API_KEY VLLM_CPU_KVCACHE_SPACE=1 HF_HUB_OFFLINE=1 VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1
# the server writes its own pid (setsid may fork, so $! would be the wrong process)
rm -f "$pidfile"
setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$venv/bin/python" -m vllm.entrypoints.openai.api_server \
  --model "$ckpt" --served-model-name tiny --host 127.0.0.1 --port "$port" --max-model-len 4096 \
  --dtype float32 --enforce-eager --limit-mm-per-prompt '{"image":1,"video":0}' >"$log" 2>&1 </dev/null &
for _ in $(seq 1 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
for _ in $(seq 1 600); do
  if curl -sf -H "Authorization: Bearer $VLLM_API_KEY" "http://127.0.0.1:$port/v1/models" >/dev/null; then
    echo "vLLM answers on http://127.0.0.1:$port/v1 (pid $(cat "$pidfile"))"
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "vLLM exited during start-up; the end of $log:" >&2; tail -30 "$log" >&2; exit 1
  fi
  sleep 1
done
echo "vLLM did not answer within 10 minutes; the end of $log:" >&2; tail -30 "$log" >&2
kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
exit 1
