// A SQLite VFS that issues each commit's WAL frames as one write.
//
// SQLite writes a WAL frame as two pwrite(2) calls, its 24-byte header and
// then the page, so a commit of N pages costs 2N system calls, and since a
// frame is 24 bytes longer than a page each page write straddles two pages of
// the kernel's page cache. The log's commits are small and frequent (three per
// attempt, about 35 frames, 71 writes), and writing each commit at once took
// the log bench from 317-322 to 241-245 us of CPU per attempt
// (docs/bench-experiment-log.md, 2026-11-24).
//
// "ksearch-walbuf" forwards every call to the default VFS, except that writes
// to a WAL file that continue the previous one are kept in memory and issued
// together:
//   - at the commit frame: a frame header whose "database size after commit"
//     field is not zero marks the last frame of a transaction, and the write
//     of its page flushes inside that same xWrite, so a failed write (disk
//     full) fails the COMMIT exactly as it would without this VFS;
//   - before any other operation on the WAL file (read, truncate, sync, size,
//     lock, file control, close) and before a write that does not continue
//     the buffer, so the file never answers from stale bytes and writes reach
//     it in their order;
//   - when the buffer reaches 1 MiB (a transaction larger than that).
//   A flush is one base write per 124 KiB: the unix VFS cuts any single write
//   at 128 KiB (it masks the length), since SQLite's own are at most a page.
//   - as a safety net, when the connection's main database file gets
//     xShmBarrier, xShmLock or xShmUnmap: SQLite publishes a commit to other connections
//     by writing the wal-index header around a barrier, so no published frame
//     can still be in memory. A flush that fails there cannot be reported (the
//     barrier returns nothing) and would publish frames the file lacks: the
//     process aborts with a message instead. With the commit frame flushed
//     first, the net can only find frames that are not a commit's: those a
//     transaction larger than SQLite's page cache spilled before it rolled
//     back (read from SQLite 3.40's WAL code, not seen in a run). It aborts
//     only if writing those fails too.
// Hence every frame of a commit is in the file (the page cache) before
// sqlite3_step() of the COMMIT returns and before another connection can see
// it: a SIGKILL at any moment loses nothing a returned COMMIT recorded.
// Durability against power loss is the synchronous setting's, unchanged.
//
// Thread-safety: a file belongs to its connection, which SQLite uses from one
// thread at a time; the counters are atomic.
#pragma once

#include <cstdint>

namespace ksearch::experiment_log {

// The VFS's name for sqlite3_open_v2, registered on the first call (not as
// the default VFS). Thread-safe.
const char* WalBufferVfsName();

// Process-wide counts since start, for tests and benches.
struct WalBufferCounters {
  uint64_t wal_writes = 0;   // xWrite calls SQLite made on WAL files
  uint64_t file_writes = 0;  // writes issued to the files for them
};
WalBufferCounters WalBufferCountersNow();

}  // namespace ksearch::experiment_log
