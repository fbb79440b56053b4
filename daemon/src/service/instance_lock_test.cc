#include "service/instance_lock.h"

#include <unistd.h>

#include <catch.hpp>
#include <filesystem>
#include <optional>

using ksearch::Status;
using ksearch::daemon::InstanceLock;

TEST_CASE("one ksearchd per experiment log: a second is refused with the holder's pid", "[daemon][lock]") {
  const auto dir = std::filesystem::temp_directory_path() / ("ksearch-lock-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string db = (dir / "ksearch.db").string();
  {
    auto first = InstanceLock::Acquire(db);
    REQUIRE(first.ok());
    CHECK(first->path() == db + ".lock");
    // flock is per open file: a second open in this process is refused as
    // another process would be.
    auto second = InstanceLock::Acquire(db);
    REQUIRE_FALSE(second.ok());
    CHECK(second.status().code() == Status::Code::kFailedPrecondition);
    CHECK(second.status().message() == "the experiment log " + db + " is in use by another ksearchd (pid " +
                                           std::to_string(::getpid()) + "), which holds " + db +
                                           ".lock: stop it first, or give this daemon another database");
    // Another database is free.
    CHECK(InstanceLock::Acquire((dir / "other.db").string()).ok());
    // Moved, it still holds.
    std::optional<InstanceLock> moved(std::move(*first));
    CHECK_FALSE(InstanceLock::Acquire(db).ok());
  }
  // Released with its holder: the next daemon takes it.
  CHECK(InstanceLock::Acquire(db).ok());
  // A folder that cannot hold the lock file is named.
  auto nowhere = InstanceLock::Acquire((dir / "missing" / "k.db").string());
  REQUIRE_FALSE(nowhere.ok());
  CHECK(nowhere.status().message().find((dir / "missing" / "k.db.lock").string()) == 0);
  std::filesystem::remove_all(dir);
}
