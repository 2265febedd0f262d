// Package bench holds natsgw's Go benchmarks: each case runs through the real
// stack (SDK -> gRPC -> gateway -> embedded NATS) side by side with direct
// nats.go in the same run, so that results are read as ratios on one machine.
//
// The package has no tests and no exported code; it exists so that `go test
// ./...` stays fast while the benchmarks live in one place, one file per area
// (messaging_test.go for core messaging, jetstream_test.go, kv_test.go,
// objects_test.go). Run an area's benchmarks by name, for example:
//
//	go test ./bench -run '^$' -bench '^Benchmark(Publish|Subscribe|Request)$'
//
// docs/BENCHMARKS.md records the exact commands and the results, and
// bench/benchtable turns the core messaging results into its table.
package bench
