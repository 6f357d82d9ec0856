#!/bin/bash
# w1-cycle.sh BIN: medians of the W1 request cycle's segments from syscall tracepoints (us)
B=$1; D=$(mktemp -d /tmp/w1c.XXXX); PORT=$((28000 + RANDOM % 1000))
$B --name kvb --data-dir $D/d --listen-client-urls http://127.0.0.1:$PORT --advertise-client-urls http://127.0.0.1:$PORT --log-level warn >$D/log 2>&1 & P=$!
for i in $(seq 100); do curl -sf http://127.0.0.1:$PORT/version >/dev/null && break; sleep 0.05; done
(wrk -t 1 -c 1 -d 4s -s ${KV_LUA:-$(dirname "$0")/../../../shared/conformance/bench/kv.lua} http://127.0.0.1:$PORT -- put bench/w1 64 seq >$D/wrk 2>&1 &); sleep 1
perf record -q -e syscalls:sys_exit_recvfrom,syscalls:sys_enter_pwrite64,syscalls:sys_enter_fdatasync,syscalls:sys_exit_fdatasync,syscalls:sys_enter_writev,syscalls:sys_exit_writev -p $P -o $D/perf.data -- sleep 2 2>/dev/null
sleep 2; kill $P; wait $P 2>/dev/null
perf script -i $D/perf.data -F tid,time,event 2>/dev/null | python3 -c '
import sys,statistics as st
cyc=[];cur={};rx=None
for l in sys.stdin:
    p=l.split(); t=float(p[1].rstrip(":")); e=p[2].rstrip(":").split(":")[1]
    if e=="sys_exit_recvfrom": rx=t
    elif e=="sys_enter_pwrite64": cur={"rx":rx,"pw":t}
    elif e=="sys_enter_fdatasync" and "pw" in cur: cur["fs"]=t
    elif e=="sys_exit_fdatasync" and "fs" in cur: cur["fe"]=t
    elif e=="sys_enter_writev" and "fe" in cur: cur["wv"]=t
    elif e=="sys_exit_writev" and "wv" in cur: cur["we"]=t; cyc.append(cur); cur={}
m=lambda a: round(st.median(a)*1e6,1)
print("n",len(cyc),"recv->pwrite",m([c["pw"]-c["rx"] for c in cyc]),"pwrite->fsync",m([c["fs"]-c["pw"] for c in cyc]),"fsync",m([c["fe"]-c["fs"] for c in cyc]),"fsync->writev",m([c["wv"]-c["fe"] for c in cyc]),"writev",m([c["we"]-c["wv"] for c in cyc]),"turnaround",m([cyc[i+1]["rx"]-cyc[i]["we"] for i in range(len(cyc)-1)]),"cycle",m([cyc[i+1]["rx"]-cyc[i]["rx"] for i in range(len(cyc)-1)]))
'
rm -rf $D
