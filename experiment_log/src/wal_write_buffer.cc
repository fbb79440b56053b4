#include "wal_write_buffer.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>

namespace ksearch::experiment_log {
namespace {

constexpr size_t kMaxBuffered = size_t{1} << 20;
// The most one base xWrite takes: the unix VFS masks a write's length with
// 0x1ffff (SQLite itself never writes more than a 64 KiB page), so a longer
// one would be cut short. 124 KiB keeps each piece a whole number of pages.
constexpr size_t kMaxWrite = 31 * 4096;
constexpr int kFrameHeaderBytes = 24;  // WAL frame header; the WAL's own header is 32

std::atomic<uint64_t> g_wal_writes{0};
std::atomic<uint64_t> g_file_writes{0};

sqlite3_vfs* g_base = nullptr;  // the default VFS, set once at registration
sqlite3_vfs g_vfs;

// The sqlite3_file SQLite allocates for this VFS (szOsFile bytes): this struct,
// then the base VFS's own file object at `real`. Built by placement new in
// Open and destroyed in Close; SQLite calls xClose only once base.pMethods is set.
struct File {
  sqlite3_file base;           // must be first: SQLite sees a File as a sqlite3_file
  sqlite3_file* real;          // the base VFS's file, inside this allocation
  File* main = nullptr;        // a WAL file: its connection's main database file
  File* wal = nullptr;         // a main database file: its open WAL file
  bool buffers = false;        // a WAL file: writes are coalesced
  bool commit_frame = false;   // the last write was the header of a commit frame
  std::string pending;         // bytes not yet written, from offset pending_at
  sqlite3_int64 pending_at = 0;
};

size_t RealOffset() { return (sizeof(File) + 15) & ~size_t{15}; }

File* Of(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
const sqlite3_io_methods* M(File* f) { return f->real->pMethods; }

int Flush(File* f) {
  int rc = SQLITE_OK;
  for (size_t done = 0; done < f->pending.size() && rc == SQLITE_OK; done += kMaxWrite) {
    const size_t n = std::min(kMaxWrite, f->pending.size() - done);
    g_file_writes.fetch_add(1, std::memory_order_relaxed);
    rc = M(f)->xWrite(f->real, f->pending.data() + done, static_cast<int>(n),
                      f->pending_at + static_cast<sqlite3_int64>(done));
  }
  f->pending.clear();  // on failure too: SQLite sees the error and rewrites or rolls back
  return rc;
}

// For the safety net of the main file's barrier and locks (see the header).
void FlushOrAbort(File* main) {
  if (main->wal == nullptr || main->wal->pending.empty()) return;
  if (int rc = Flush(main->wal); rc != SQLITE_OK) {
    std::fprintf(stderr, "ksearch-walbuf: a WAL write failed (%s) after SQLite had begun to publish the "
                 "commit; aborting so that no reader sees frames the file lacks\n", sqlite3_errstr(rc));
    std::abort();
  }
}

int Close(sqlite3_file* pf) {
  File* f = Of(pf);
  int rc = Flush(f);
  if (f->main != nullptr) f->main->wal = nullptr;
  if (f->wal != nullptr) f->wal->main = nullptr;
  const int rc_close = M(f)->xClose(f->real);
  f->~File();
  return rc != SQLITE_OK ? rc : rc_close;
}

int Write(sqlite3_file* pf, const void* data, int n, sqlite3_int64 at) {
  File* f = Of(pf);
  if (!f->buffers) return M(f)->xWrite(f->real, data, n, at);
  g_wal_writes.fetch_add(1, std::memory_order_relaxed);
  const auto* bytes = static_cast<const char*>(data);
  const bool continues = !f->pending.empty() && at == f->pending_at + static_cast<sqlite3_int64>(f->pending.size());
  if (!continues || f->pending.size() + static_cast<size_t>(n) > kMaxBuffered) {
    if (int rc = Flush(f); rc != SQLITE_OK) return rc;
    f->pending_at = at;
  }
  f->pending.append(bytes, static_cast<size_t>(n));
  // A frame header: bytes 4-7 hold the database size after the commit on the
  // commit frame and zero on every other frame. The page after it ends the
  // transaction's frames.
  const bool page_of_commit_frame = f->commit_frame;
  f->commit_frame = n == kFrameHeaderBytes && std::memcmp(bytes + 4, "\0\0\0\0", 4) != 0;
  if (page_of_commit_frame) return Flush(f);
  return SQLITE_OK;
}

// The base file's `Method`, once the file's pending bytes are written: what
// reads, sizes, syncs, locks or truncates a WAL file must see them.
template <auto Method, typename... Args>
int FlushThen(sqlite3_file* pf, Args... args) {
  File* f = Of(pf);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return (M(f)->*Method)(f->real, args...);
}

// The main database file's `Method`, after the safety net (FlushOrAbort):
// the shared-memory calls around which SQLite publishes a commit.
template <auto Method, typename R, typename... Args>
R FlushWalThen(sqlite3_file* pf, Args... args) {
  File* f = Of(pf);
  FlushOrAbort(f);
  return (M(f)->*Method)(f->real, args...);
}

// The base file's `Method` as it is: calls that cannot observe pending bytes.
template <auto Method, typename R, typename... Args>
R Forward(sqlite3_file* pf, Args... args) {
  return (M(Of(pf))->*Method)(Of(pf)->real, args...);
}

// Built once from the base file's methods: the same version, so SQLite never
// calls a method the base file lacks.
sqlite3_io_methods MethodsFor(const sqlite3_io_methods& real) {
  sqlite3_io_methods m{};
  m.iVersion = real.iVersion < 3 ? real.iVersion : 3;
  m.xClose = Close;
  m.xRead = FlushThen<&sqlite3_io_methods::xRead>;
  m.xWrite = Write;
  m.xTruncate = FlushThen<&sqlite3_io_methods::xTruncate>;
  m.xSync = FlushThen<&sqlite3_io_methods::xSync>;
  m.xFileSize = FlushThen<&sqlite3_io_methods::xFileSize>;
  m.xLock = FlushThen<&sqlite3_io_methods::xLock>;
  m.xUnlock = FlushThen<&sqlite3_io_methods::xUnlock>;
  m.xCheckReservedLock = Forward<&sqlite3_io_methods::xCheckReservedLock>;
  m.xFileControl = FlushThen<&sqlite3_io_methods::xFileControl>;
  m.xSectorSize = Forward<&sqlite3_io_methods::xSectorSize>;
  m.xDeviceCharacteristics = Forward<&sqlite3_io_methods::xDeviceCharacteristics>;
  if (m.iVersion >= 2) {
    m.xShmMap = Forward<&sqlite3_io_methods::xShmMap>;
    m.xShmLock = FlushWalThen<&sqlite3_io_methods::xShmLock>;
    m.xShmBarrier = FlushWalThen<&sqlite3_io_methods::xShmBarrier>;
    m.xShmUnmap = FlushWalThen<&sqlite3_io_methods::xShmUnmap>;
  }
  if (m.iVersion >= 3) {
    m.xFetch = FlushThen<&sqlite3_io_methods::xFetch>;
    m.xUnfetch = Forward<&sqlite3_io_methods::xUnfetch>;
  }
  return m;
}

// Our method table for each base table (SQLite's unix VFS has one per
// locking style), made on first use and kept for the process's lifetime.
std::mutex g_tables_mu;
std::map<const sqlite3_io_methods*, std::unique_ptr<sqlite3_io_methods>> g_tables;  // guarded by g_tables_mu

const sqlite3_io_methods* MethodsWrapping(const sqlite3_io_methods* real) {
  std::lock_guard<std::mutex> lock(g_tables_mu);
  auto& ours = g_tables[real];
  if (!ours) ours = std::make_unique<sqlite3_io_methods>(MethodsFor(*real));
  return ours.get();
}

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* pf, int flags, int* out_flags) {
  auto* f = new (pf) File;
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(pf) + RealOffset());
  f->base.pMethods = nullptr;  // until the base file is open: no xClose on failure
  std::memset(f->real, 0, static_cast<size_t>(g_base->szOsFile));
  const int rc = g_base->xOpen(g_base, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK || f->real->pMethods == nullptr) {
    if (f->real->pMethods != nullptr) f->real->pMethods->xClose(f->real);
    f->~File();
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  f->base.pMethods = MethodsWrapping(f->real->pMethods);
  if ((flags & SQLITE_OPEN_WAL) != 0) {
    f->buffers = true;
    // SQLite names the main database's file object for a WAL file's name
    // (the documented way for a VFS to pair them); a connection opens both
    // through one VFS, so it is a File of ours.
    f->main = Of(sqlite3_database_file_object(name));
    f->main->wal = f;
  }
  return SQLITE_OK;
}

// The default VFS's `Method`, called with the default VFS (the unix VFS
// reads its own pAppData).
template <auto Method, typename R, typename... Args>
R Base(sqlite3_vfs*, Args... args) {
  return (g_base->*Method)(g_base, args...);
}

void Register() {
  g_base = sqlite3_vfs_find(nullptr);
  if (g_base == nullptr || g_base->iVersion < 2) {
    std::fprintf(stderr, "ksearch-walbuf: SQLite has no usable default VFS\n");
    std::abort();
  }
  g_vfs = sqlite3_vfs{};
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = static_cast<int>(RealOffset()) + g_base->szOsFile;
  g_vfs.mxPathname = g_base->mxPathname;
  g_vfs.zName = "ksearch-walbuf";
  g_vfs.xOpen = Open;
  g_vfs.xDelete = Base<&sqlite3_vfs::xDelete>;
  g_vfs.xAccess = Base<&sqlite3_vfs::xAccess>;
  g_vfs.xFullPathname = Base<&sqlite3_vfs::xFullPathname>;
  g_vfs.xDlOpen = Base<&sqlite3_vfs::xDlOpen>;
  g_vfs.xDlError = Base<&sqlite3_vfs::xDlError>;
  g_vfs.xDlSym = Base<&sqlite3_vfs::xDlSym>;
  g_vfs.xDlClose = Base<&sqlite3_vfs::xDlClose>;
  g_vfs.xRandomness = Base<&sqlite3_vfs::xRandomness>;
  g_vfs.xSleep = Base<&sqlite3_vfs::xSleep>;
  g_vfs.xCurrentTime = Base<&sqlite3_vfs::xCurrentTime>;
  g_vfs.xGetLastError = Base<&sqlite3_vfs::xGetLastError>;
  g_vfs.xCurrentTimeInt64 = Base<&sqlite3_vfs::xCurrentTimeInt64>;
  if (sqlite3_vfs_register(&g_vfs, /*makeDflt=*/0) != SQLITE_OK) {
    std::fprintf(stderr, "ksearch-walbuf: sqlite3_vfs_register failed\n");
    std::abort();
  }
}

}  // namespace

const char* WalBufferVfsName() {
  static std::once_flag once;
  std::call_once(once, Register);
  return g_vfs.zName;
}

WalBufferCounters WalBufferCountersNow() {
  return {g_wal_writes.load(std::memory_order_relaxed), g_file_writes.load(std::memory_order_relaxed)};
}

}  // namespace ksearch::experiment_log
