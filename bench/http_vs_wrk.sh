#!/usr/bin/env bash
# The http operation against nginx on loopback, next to wrk with the same number of
# connections, in the same run: prints gorgon_mpi's req/s, wrk's req/s and their ratio
# (target: at least 0.7, with every call recorded). nginx is started here with its own config
# in a temporary directory and stopped on exit, whatever happens.
#
#   bench/http_vs_wrk.sh [path/to/gorgon_mpi]
#
# Environment: CONNECTIONS, the connection counts to compare at (wrk -tC -cC against
# gorgon_mpi RANKS ranks x C/RANKS threads; default "2"), RANKS (default 1), SECONDS_PER_RUN
# (wrk's duration; gorgon gets as many calls as wrk made in that time; default 3), ROUNDS
# (wrk then gorgon, alternated; the median ratio is reported; default 5), NGINX_WORKERS (1).
#
# On a small machine the clients and nginx share the cores, so the ratio is that of the
# clients' CPU cost per request (libcurl's is higher than wrk's); with spare cores, or one
# connection, it is latency-bound and near 1. Alternating short rounds shares out the load of
# whatever else runs on the machine; the spread of the rounds shows how much there was.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"

GORGON=${1:-$GORGON_ROOT/build/gorgon_mpi}
CONNECTIONS=${CONNECTIONS:-2}
RANKS=${RANKS:-1}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-3}
ROUNDS=${ROUNDS:-5}
NGINX_WORKERS=${NGINX_WORKERS:-1}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

for tool in "$GORGON" "$NGINX" "$(command -v wrk || echo wrk)"; do
  [ -x "$tool" ] || { echo "http_vs_wrk: $tool is missing (scripts/setup.sh installs nginx and wrk)" >&2; exit 1; }
done
for c in $CONNECTIONS; do
  (( c % RANKS == 0 )) || { echo "http_vs_wrk: $c connections is not a multiple of RANKS ($RANKS)" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/gorgon_http_vs_wrk.XXXXXX)
NGINX_PID=""
stop() {
  if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -QUIT "$NGINX_PID"
    for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap stop EXIT
trap 'exit 130' INT TERM

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$TMP/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes $NGINX_WORKERS;
pid $TMP/nginx.pid;
error_log $TMP/error.log warn;
events { worker_connections 1024; }
http {
  client_body_temp_path $TMP/client_body_temp;
  proxy_temp_path $TMP/proxy_temp;
  fastcgi_temp_path $TMP/fastcgi_temp;
  uwsgi_temp_path $TMP/uwsgi_temp;
  scgi_temp_path $TMP/scgi_temp;
  access_log off;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$PORT;
    location = /ok { return 200 "ok"; }
  }
}
EOF
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/error.log" &
NGINX_PID=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  kill -0 "$NGINX_PID" 2>/dev/null || { cat "$TMP/error.log" >&2; exit 1; }
  sleep 0.1
done
URL="http://127.0.0.1:$PORT/ok"

# gorgon_mpi's req/s over the run's own wall time (mpiexec's start-up is not in it), the calls
# recorded and those with status 200.
summary_figures() {
  python3 - "$1" <<'EOF'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
labels = {l["label"]: l["count"] for l in run["labels"]}
print(run["result"]["count"] / (run["wall_ns"] / 1e9), run["result"]["count"], labels.get("200", 0))
EOF
}

echo "nginx $("$NGINX" -v 2>&1 | sed 's/.*\///') on $URL ($NGINX_WORKERS worker), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
results=()
for connections in $CONNECTIONS; do
  threads=$(( connections / RANKS ))
  echo "$connections connection(s): wrk -t$connections -c$connections; gorgon_mpi $RANKS rank(s) x $threads thread(s)"
  ratios=()
  for round in $(seq "$ROUNDS"); do
    wrk_out=$(wrk -t"$connections" -c"$connections" -d"${SECONDS_PER_RUN}s" "$URL")
    wrk_rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$wrk_out")
    [ -n "$wrk_rps" ] || { echo "$wrk_out" >&2; exit 1; }
    ops=$(python3 -c "print(max(1000, int($wrk_rps * $SECONDS_PER_RUN)))")
    # --bind-to none: OpenMPI binds a rank to one core by default (at up to 2 ranks), which
    # would put all of its threads on that core; wrk's threads are not bound either.
    mpiexec --oversubscribe --bind-to none -np "$RANKS" "$GORGON" --op http --param "url=$URL" \
      --ops "$ops" --threads "$threads" --json "$TMP/summary.json" >"$TMP/gorgon.txt" 2>&1
    read -r gorgon_rps recorded ok < <(summary_figures "$TMP/summary.json")
    if [ "$recorded" != "$ops" ] || [ "$ok" != "$ops" ]; then
      echo "http_vs_wrk: gorgon_mpi recorded $recorded of $ops calls, $ok with status 200" >&2
      cat "$TMP/gorgon.txt" >&2
      exit 1
    fi
    ratio=$(python3 -c "print(f'{$gorgon_rps / $wrk_rps:.3f}')")
    ratios+=("$ratio")
    printf '  round %d: wrk %8.0f req/s   gorgon_mpi %8.0f req/s (%d calls, all recorded)   ratio %s\n' \
      "$round" "$wrk_rps" "$gorgon_rps" "$ops" "$ratio"
  done
  median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
  results+=("$connections connection(s): $median")
done
for line in "${results[@]}"; do
  echo "http_vs_wrk: gorgon_mpi / wrk at $line (median of $ROUNDS rounds; target >= 0.7)"
done
