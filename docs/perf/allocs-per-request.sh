#!/bin/bash
# allocs-per-request.sh BIN mode(put1|put64|get64): allocations per request (uprobe count on mi_malloc_aligned / requests)
B=$1; MODE=${2:-put1}
perf probe -q -d 'probe_*:*' 2>/dev/null; perf probe -q -x $B -a mi_malloc_aligned 2>/dev/null
EV=$(perf probe -l 2>/dev/null | awk '{print $1}' | head -1)
D=$(mktemp -d /tmp/al.XXXX); PORT=$((27000 + RANDOM % 1000))
$B --name kvb --data-dir $D --listen-client-urls http://127.0.0.1:$PORT --advertise-client-urls http://127.0.0.1:$PORT --log-level warn >$D.log 2>&1 & P=$!
for i in $(seq 100); do curl -sf http://127.0.0.1:$PORT/version >/dev/null && break; sleep 0.05; done
for i in $(seq 0 99); do curl -s -XPUT http://127.0.0.1:$PORT/v2/keys/bench/load/$i -d value=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx >/dev/null; done
case $MODE in put1) A="-t 1 -c 1"; L="put bench/w1 64 seq";; put64) A="-t 2 -c 64"; L="put bench/w2 64 key";; get64) A="-t 2 -c 64"; L="get bench/load 100";; esac
OUT=$(perf stat -e $EV -p $P -- wrk $A -d 2s -s ${KV_LUA:-$(dirname "$0")/../../../shared/conformance/bench/kv.lua} http://127.0.0.1:$PORT -- $L 2>&1)
R=$(echo "$OUT" | grep -o '"requests":[0-9]*' | cut -d: -f2); N=$(echo "$OUT" | grep "$EV" | awk '{print $1}' | tr -d ,)
python3 -c "print('$MODE requests', $R, 'allocs/req', round($N/$R,1))"
kill $P; wait $P 2>/dev/null; rm -rf $D $D.log; perf probe -q -d 'probe_*:*' 2>/dev/null
