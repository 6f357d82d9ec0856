#!/bin/bash
# cpu-per-request.sh etcd|BIN conns secs put|get -> ops/s, server CPU us/req, wrk CPU us/req
BIN=$1; C=${2:-64}; S=${3:-3}; MODE=${4:-put}
D=$(mktemp -d /tmp/cpu.XXXX); PORT=$((26000 + RANDOM % 1000)); PP=$((PORT+1000))
if [ $BIN = etcd ]; then
  etcd --enable-v2 --name kvb --data-dir $D --listen-client-urls http://127.0.0.1:$PORT --advertise-client-urls http://127.0.0.1:$PORT --listen-peer-urls http://127.0.0.1:$PP --initial-advertise-peer-urls http://127.0.0.1:$PP --initial-cluster kvb=http://127.0.0.1:$PP --log-level error >$D.log 2>&1 &
else
  $BIN --name kvb --data-dir $D --listen-client-urls http://127.0.0.1:$PORT --advertise-client-urls http://127.0.0.1:$PORT --log-level warn >$D.log 2>&1 &
fi
P=$!
for i in $(seq 200); do curl -sf http://127.0.0.1:$PORT/version >/dev/null && break; sleep 0.05; done
if [ $MODE = get ]; then for i in $(seq 0 99); do curl -s -XPUT http://127.0.0.1:$PORT/v2/keys/bench/load/$i -d value=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx >/dev/null; done; ARGS="get bench/load 100"; else ARGS="put bench/w2 64 key"; fi
t0=$(awk '{print $14+$15}' /proc/$P/stat)
OUT=$( { /usr/bin/time -f "WRKCPU %U %S" wrk -t 2 -c $C -d ${S}s -s ${KV_LUA:-$(dirname "$0")/../../../shared/conformance/bench/kv.lua} http://127.0.0.1:$PORT -- $ARGS; } 2>&1 )
t1=$(awk '{print $14+$15}' /proc/$P/stat)
R=$(echo "$OUT" | grep -o '"requests":[0-9]*' | cut -d: -f2)
W=$(echo "$OUT" | grep WRKCPU | awk '{print $2+$3}')
HZ=$(getconf CLK_TCK)
python3 -c "r=$R; cpu=($t1-$t0)/$HZ; print(f'ops/s {r/$S:.0f} server_us/req {cpu*1e6/r:.1f} wrk_us/req {$W*1e6/r:.1f}')"
kill $P; wait $P 2>/dev/null; rm -rf $D $D.log
