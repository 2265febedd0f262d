#!/usr/bin/env bash
# KV beside Redis, in one run on this machine (docs/BENCHMARKS.md, "Key-value
# beside Redis"):
#   1. Debian's redis-server (installed with apt-get if missing) on a free
#      loopback port, measured with redis-benchmark: GET and SET of 128-byte
#      values over 1000 keys, 1 and 16 connections; CPU per operation from
#      redis-server's /proc times plus redis-benchmark's own.
#   2. BenchmarkKV (bench/kv_test.go): Get (cached and consistent) and Put at
#      1 and 16 clients through the gateway, and direct nats.go KV.
# Redis is stopped when the script ends. Usage:
#   bench/kv_vs_redis.sh [BENCHTIME]      (default 2s per Go case)
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=${1:-2s}
requests=${REDIS_REQUESTS:-200000}

if ! command -v redis-server >/dev/null || ! command -v redis-benchmark >/dev/null; then
	echo "installing redis-server (Debian) ..." >&2
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get install -y redis-server >&2
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
	echo $((20000 + RANDOM % 20000)))
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize no >"$dir/redis.log" 2>&1 &
redis=$!
cleanup() {
	kill "$redis" 2>/dev/null || true
	wait "$redis" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 100); do
	redis-cli -p "$port" ping >/dev/null 2>&1 && break
	sleep 0.05
done
redis-cli -p "$port" ping >/dev/null

ticks=$(getconf CLK_TCK)
# cpu_ticks PID: user+system clock ticks of a process.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

echo "# redis $(redis-server --version | awk '{print $3}') on 127.0.0.1:$port, $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "test,clients,ops/s,p50_us,p99_us,cpu_us_per_op"
for clients in 1 16; do
	for t in get set; do
		before=$(cpu_ticks "$redis")
		TIMEFORMAT='%U %S'
		{ time redis-benchmark -p "$port" -t "$t" -c "$clients" -n "$requests" -d 128 -r 1000 --csv >"$dir/out.csv" 2>/dev/null; } 2>"$dir/time"
		after=$(cpu_ticks "$redis")
		read -r bu bs <"$dir/time"
		# CSV: "test","rps","avg","min","p50","p95","p99","max" (ms)
		tail -n1 "$dir/out.csv" | tr -d '"' | awk -F, -v c="$clients" -v t="$t" -v n="$requests" \
			-v rt="$((after - before))" -v tk="$ticks" -v bu="$bu" -v bs="$bs" \
			'{ printf "%s,%d,%.0f,%.0f,%.0f,%.1f\n", toupper(t), c, $2, $5*1000, $7*1000, ((rt/tk) + bu + bs) * 1e6 / n }'
	done
done

echo
echo "# BenchmarkKV, -benchtime $benchtime, load: $(cut -d' ' -f1-3 /proc/loadavg)"
go test ./bench -run '^$' -bench 'BenchmarkKV/op=(get|put)/clients=(1|16)/' -benchtime "$benchtime" -count 1 |
	grep -E '^Benchmark|^ok|FAIL'
