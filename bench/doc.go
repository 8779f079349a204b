// Package bench holds reprise's go test -bench suites. Names follow
// benchstat's key=value convention, so that runs compare side by side:
//
//	go test -run '^$' -bench . -count 6 ./bench/ | tee new.txt
//	go tool benchstat bench/baseline.txt new.txt
//
// `make bench` writes bench/latest.txt; `make benchcmp` compares it with the
// committed bench/baseline.txt.
package bench
