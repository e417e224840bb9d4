// Thread identity and scheduling.
//
// SetThreadName names the calling thread (shown by top -H, perf, gdb and
// /proc/PID/task/*/comm), so an operator can tell the broker's threads from the HTTP workers
// and the ingest writer.
//
// LowerThreadPriority makes the calling thread yield to the others under contention (Linux:
// a per-thread nice value). Throughput work that nobody waits for interactively — the ingest
// writer's batch commits — runs below the threads that move messages and answer browsers, so
// on a small machine a long commit does not sit between a PUBLISH and its live event.
#pragma once

#include <string_view>

namespace sw {

// Linux keeps at most 15 characters; longer names are cut.
void SetThreadName(std::string_view name);

// `nice` from 1 (slightly lower) to 19 (lowest). Failure is ignored: it is a hint.
void LowerThreadPriority(int nice);

}  // namespace sw
