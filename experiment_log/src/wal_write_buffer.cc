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

// Every method flushes a WAL file's bytes first unless it cannot observe them.
int Close(sqlite3_file* pf) {
  File* f = Of(pf);
  int rc = f->buffers ? Flush(f) : SQLITE_OK;
  if (f->main != nullptr) f->main->wal = nullptr;
  if (f->wal != nullptr) f->wal->main = nullptr;
  const int rc_close = M(f)->xClose(f->real);
  f->~File();
  return rc != SQLITE_OK ? rc : rc_close;
}

int Read(sqlite3_file* pf, void* out, int n, sqlite3_int64 at) {
  File* f = Of(pf);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return M(f)->xRead(f->real, out, n, at);
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

int Truncate(sqlite3_file* pf, sqlite3_int64 size) {
  File* f = Of(pf);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return M(f)->xTruncate(f->real, size);
}

int Sync(sqlite3_file* pf, int flags) {
  File* f = Of(pf);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return M(f)->xSync(f->real, flags);
}

int FileSize(sqlite3_file* pf, sqlite3_int64* size) {
  File* f = Of(pf);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return M(f)->xFileSize(f->real, size);
}

int Lock(sqlite3_file* pf, int level) {
  File* f = Of(pf);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return M(f)->xLock(f->real, level);
}

int Unlock(sqlite3_file* pf, int level) {
  File* f = Of(pf);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return M(f)->xUnlock(f->real, level);
}

int CheckReservedLock(sqlite3_file* pf, int* out) { return M(Of(pf))->xCheckReservedLock(Of(pf)->real, out); }

int FileControl(sqlite3_file* pf, int op, void* arg) {
  File* f = Of(pf);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return M(f)->xFileControl(f->real, op, arg);
}

int SectorSize(sqlite3_file* pf) { return M(Of(pf))->xSectorSize(Of(pf)->real); }
int DeviceCharacteristics(sqlite3_file* pf) { return M(Of(pf))->xDeviceCharacteristics(Of(pf)->real); }

int ShmMap(sqlite3_file* pf, int region, int size, int extend, void volatile** out) {
  return M(Of(pf))->xShmMap(Of(pf)->real, region, size, extend, out);
}

int ShmLock(sqlite3_file* pf, int offset, int n, int flags) {
  File* f = Of(pf);
  FlushOrAbort(f);
  return M(f)->xShmLock(f->real, offset, n, flags);
}

void ShmBarrier(sqlite3_file* pf) {
  File* f = Of(pf);
  FlushOrAbort(f);
  M(f)->xShmBarrier(f->real);
}

int ShmUnmap(sqlite3_file* pf, int delete_flag) {
  File* f = Of(pf);
  FlushOrAbort(f);
  return M(f)->xShmUnmap(f->real, delete_flag);
}

int Fetch(sqlite3_file* pf, sqlite3_int64 at, int n, void** out) {
  File* f = Of(pf);
  if (int rc = Flush(f); rc != SQLITE_OK) return rc;
  return M(f)->xFetch(f->real, at, n, out);
}

int Unfetch(sqlite3_file* pf, sqlite3_int64 at, void* p) { return M(Of(pf))->xUnfetch(Of(pf)->real, at, p); }

// Built once from the base file's methods: the same version, so SQLite never
// calls a method the base file lacks.
sqlite3_io_methods MethodsFor(const sqlite3_io_methods& real) {
  sqlite3_io_methods m{};
  m.iVersion = real.iVersion < 3 ? real.iVersion : 3;
  m.xClose = Close;
  m.xRead = Read;
  m.xWrite = Write;
  m.xTruncate = Truncate;
  m.xSync = Sync;
  m.xFileSize = FileSize;
  m.xLock = Lock;
  m.xUnlock = Unlock;
  m.xCheckReservedLock = CheckReservedLock;
  m.xFileControl = FileControl;
  m.xSectorSize = SectorSize;
  m.xDeviceCharacteristics = DeviceCharacteristics;
  if (m.iVersion >= 2) {
    m.xShmMap = ShmMap;
    m.xShmLock = ShmLock;
    m.xShmBarrier = ShmBarrier;
    m.xShmUnmap = ShmUnmap;
  }
  if (m.iVersion >= 3) {
    m.xFetch = Fetch;
    m.xUnfetch = Unfetch;
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

bool IsOurs(const sqlite3_io_methods* m) {
  std::lock_guard<std::mutex> lock(g_tables_mu);
  for (const auto& [real, ours] : g_tables)
    if (ours.get() == m) return true;
  return false;
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
    // (the documented way for a VFS to pair them).
    if (name != nullptr) {
      File* main = Of(sqlite3_database_file_object(name));
      if (main != nullptr && IsOurs(main->base.pMethods)) {
        f->main = main;
        main->wal = f;
      }
    }
  }
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* name, int sync_dir) { return g_base->xDelete(g_base, name, sync_dir); }
int Access(sqlite3_vfs*, const char* name, int flags, int* out) { return g_base->xAccess(g_base, name, flags, out); }
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return g_base->xDlOpen(g_base, name); }
void DlError(sqlite3_vfs*, int n, char* out) { g_base->xDlError(g_base, n, out); }
void (*DlSym(sqlite3_vfs*, void* h, const char* sym))(void) { return g_base->xDlSym(g_base, h, sym); }
void DlClose(sqlite3_vfs*, void* h) { g_base->xDlClose(g_base, h); }
int Randomness(sqlite3_vfs*, int n, char* out) { return g_base->xRandomness(g_base, n, out); }
int Sleep(sqlite3_vfs*, int us) { return g_base->xSleep(g_base, us); }
int CurrentTime(sqlite3_vfs*, double* out) { return g_base->xCurrentTime(g_base, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) { return g_base->xGetLastError(g_base, n, out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) { return g_base->xCurrentTimeInt64(g_base, out); }

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
  g_vfs.xDelete = Delete;
  g_vfs.xAccess = Access;
  g_vfs.xFullPathname = FullPathname;
  g_vfs.xDlOpen = DlOpen;
  g_vfs.xDlError = DlError;
  g_vfs.xDlSym = DlSym;
  g_vfs.xDlClose = DlClose;
  g_vfs.xRandomness = Randomness;
  g_vfs.xSleep = Sleep;
  g_vfs.xCurrentTime = CurrentTime;
  g_vfs.xGetLastError = GetLastError;
  g_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
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
