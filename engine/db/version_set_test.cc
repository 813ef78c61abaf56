// The VersionSet's contract, under the real Env and the simulator: Create,
// many edits across levels and buckets, roll-overs, then Recover yields the
// same state; damaged CURRENT, manifests and missing tables are Corruption
// naming the file and offset; a failed manifest write is sticky; and a crash
// at any point of LogAndApply or a roll-over (every crash preset) recovers to
// the state after some prefix of the edits that includes every acknowledged
// one. Table files are plain files of the recorded size.
#include "db/version_set.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "db/dbformat.h"
#include "db/file_names.h"
#include "db/version.h"
#include "db/version_edit.h"
#include "faultfs/crash_policy.h"
#include "gtest/gtest.h"
#include "kiln/env.h"
#include "kiln/random.h"
#include "kiln/status.h"
#include "sim/simulator.h"
#include "testing/test_env.h"
#include "util/status_macros.h"
#include "wal/log_reader.h"
#include "wal/log_writer.h"

namespace kiln {
namespace {

bool MessageHas(const absl::Status& status, const std::string& text) {
  return std::string(status.message()).find(text) != std::string::npos;
}

std::string UserKey(uint64_t number, char suffix) {
  char key[32];
  std::snprintf(key, sizeof(key), "k%08llu%c", static_cast<unsigned long long>(number), suffix);
  return key;
}

// What recovery must reproduce: the files, buckets and logged counters.
std::string StateOf(const Version& version, uint64_t log_number, SequenceNumber last_sequence) {
  return "log_number " + std::to_string(log_number) + "\nlast_sequence " +
         std::to_string(last_sequence) + "\n" + version.DebugString();
}

std::string StateOf(const VersionSet& versions) {
  return StateOf(*versions.current(), versions.log_number(), versions.last_sequence());
}

std::string StateOf(const PreparedEdit& prepared) {
  return StateOf(*prepared.version(), *prepared.edit().log_number, *prepared.edit().last_sequence);
}

absl::Status WriteTable(FileSystem& fs, const std::string& db, uint64_t number,
                        uint64_t size_bytes) {
  KILN_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                        fs.OpenFile(TableFileName(db, number), OpenMode::kTruncate));
  KILN_RETURN_IF_ERROR(file->Append(std::string(size_bytes, 't')));
  KILN_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

// Random edits that fit the current Version: new files (with their table
// files written and synced), deletions, moves down a level, buckets added and
// dropped, log numbers and sequences advancing.
class EditGenerator {
 public:
  EditGenerator(FileSystem& fs, std::string db, Random random)
      : fs_(fs), db_(std::move(db)), random_(random) {}

  absl::StatusOr<VersionEdit> Next(VersionSet& versions) {
    const Version& version = *versions.current();
    struct Placed {
      uint32_t bucket_id;
      int level;
      std::shared_ptr<const FileMetaData> file;
    };
    std::vector<Placed> files;
    std::vector<uint32_t> bucket_ids;
    for (const auto& [id, bucket] : version.buckets()) {
      bucket_ids.push_back(id);
      for (int level = 0; level < kNumLevels; ++level) {
        for (const auto& file : bucket->levels[level]) files.push_back({id, level, file});
      }
    }
    versions.SetLastSequence(versions.last_sequence() + random_.Uniform(100));
    VersionEdit edit;
    std::set<uint64_t> deleted;
    std::set<uint32_t> dropped;
    const int ops = 1 + static_cast<int>(random_.Uniform(4));
    for (int op = 0; op < ops; ++op) {
      const uint64_t choice = random_.Uniform(10);
      if (choice < 5) {
        const uint64_t number = versions.NewFileNumber();
        const uint64_t size_bytes = random_.Uniform(300);
        KILN_RETURN_IF_ERROR(WriteTable(fs_, db_, number, size_bytes));
        const SequenceNumber largest_seq = versions.last_sequence() + 1 + random_.Uniform(5);
        const SequenceNumber smallest_seq = largest_seq - random_.Uniform(largest_seq + 1);
        edit.AddFile(bucket_ids[random_.Uniform(bucket_ids.size())],
                     static_cast<int>(random_.Uniform(kNumLevels)),
                     FileMetaData{.number = number,
                                  .size_bytes = size_bytes,
                                  .smallest = MakeInternalKey(UserKey(number, 'a'), largest_seq,
                                                              ValueType::kValue),
                                  .largest = MakeInternalKey(UserKey(number, 'b'), smallest_seq,
                                                             ValueType::kDeletion),
                                  .smallest_seq = smallest_seq,
                                  .largest_seq = largest_seq,
                                  .num_entries = random_.Uniform(1000),
                                  .num_range_tombstones = random_.Uniform(3)});
      } else if (choice < 8 && !files.empty()) {
        const Placed& placed = files[random_.Uniform(files.size())];
        const bool move = choice == 7 && placed.level + 1 < kNumLevels;
        if (!deleted.insert(placed.file->number).second) continue;
        edit.DeleteFile(placed.bucket_id, placed.level, placed.file->number);
        if (move) edit.AddFile(placed.bucket_id, placed.level + 1, *placed.file);
      } else if (choice == 8) {
        const uint32_t id =
            versions.next_bucket_id() + static_cast<uint32_t>(edit.added_buckets.size());
        edit.AddBucket(id, "bucket" + std::to_string(id),
                       BucketOptions{.block_size_bytes = 1024 + random_.Uniform(8192),
                                     .bloom_bits_per_key = static_cast<int>(random_.Uniform(20)),
                                     .prefix_length = random_.Uniform(8),
                                     .compression = random_.OneIn(2) ? Compression::kNone
                                                                     : Compression::kLz4});
      } else if (choice == 9 && bucket_ids.size() > 1) {
        const uint32_t id = bucket_ids[1 + random_.Uniform(bucket_ids.size() - 1)];
        if (dropped.insert(id).second) edit.DropBucket(id);
      }
    }
    if (random_.OneIn(5)) edit.log_number = versions.NewFileNumber();
    KILN_RETURN_IF_ERROR(fs_.SyncDir(db_));
    return edit;
  }

 private:
  FileSystem& fs_;
  const std::string db_;
  Random random_;
};

class VersionSetTest : public testing::EnvTest {
 protected:
  FileSystem& fs() { return *env().file_system; }

  std::unique_ptr<VersionSet> NewVersionSet(const std::string& db, VersionSetLimits limits = {}) {
    return std::make_unique<VersionSet>(env(), db, options_, limits);
  }

  // Creates a database in db and applies count random edits.
  void CreateWithEdits(const std::string& db, int count, VersionSetLimits limits,
                       std::string* state) {
    std::unique_ptr<VersionSet> versions = NewVersionSet(db, limits);
    ASSERT_TRUE(versions->Create().ok());
    EditGenerator generator(fs(), db, env().NewRandom("edits"));
    for (int i = 0; i < count; ++i) {
      absl::StatusOr<VersionEdit> edit = generator.Next(*versions);
      ASSERT_TRUE(edit.ok()) << edit.status();
      const absl::Status status = versions->LogAndApply(std::move(*edit));
      ASSERT_TRUE(status.ok()) << i << ": " << status;
      ASSERT_TRUE(versions->current()->CheckInvariants().ok());
    }
    *state = StateOf(*versions);
  }

  absl::StatusOr<std::string> ReadFile(const std::string& path) {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs().OpenFile(path, OpenMode::kRead));
    KILN_ASSIGN_OR_RETURN(const uint64_t size, file->Size());
    std::string contents(size, '\0');
    KILN_ASSIGN_OR_RETURN(const size_t read, file->Read(0, contents));
    contents.resize(read);
    return contents;
  }

  absl::Status WriteFile(const std::string& path, std::string_view contents) {
    KILN_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs().OpenFile(path, OpenMode::kTruncate));
    KILN_RETURN_IF_ERROR(file->Append(contents));
    KILN_RETURN_IF_ERROR(file->Sync());
    return file->Close();
  }

  std::vector<std::string> Manifests(const std::string& db) {
    std::vector<std::string> manifests;
    absl::StatusOr<std::vector<std::string>> names = fs().ListDir(db);
    EXPECT_TRUE(names.ok()) << names.status();
    for (const std::string& name : names.value_or(std::vector<std::string>{})) {
      if (ClassifyFileName(name) == FileKind::kManifest) manifests.push_back(name);
    }
    return manifests;
  }

  // Where each record of a manifest starts.
  std::vector<uint64_t> RecordOffsets(const std::string& path, uint64_t number) {
    std::vector<uint64_t> offsets;
    absl::StatusOr<std::unique_ptr<File>> file = fs().OpenFile(path, OpenMode::kRead);
    EXPECT_TRUE(file.ok()) << file.status();
    if (!file.ok()) return offsets;
    LogReader reader(**file, path, number, LogReaderOptions{});
    for (int i = 0; i < 100000; ++i) {
      const uint64_t start = std::max<uint64_t>(reader.valid_end_offset(), 32);
      absl::StatusOr<std::optional<std::string>> record = reader.ReadRecord();
      EXPECT_TRUE(record.ok()) << record.status();
      if (!record.ok() || !record->has_value()) break;
      offsets.push_back(start);
    }
    return offsets;
  }

  Options options_;
};

TEST_P(VersionSetTest, CreateThenRecover) {
  RunInEnv([&] {
    std::unique_ptr<VersionSet> created = NewVersionSet(dir());
    ASSERT_TRUE(created->Create().ok());
    EXPECT_EQ(created->manifest_number(), 1u);
    EXPECT_EQ(created->next_file_number(), 2u);
    EXPECT_EQ(created->log_number(), 0u);
    EXPECT_EQ(created->last_sequence(), 0u);
    EXPECT_EQ(created->next_bucket_id(), 1u);
    const BucketVersion* bucket = created->current()->FindBucket(0);
    ASSERT_NE(bucket, nullptr);
    EXPECT_EQ(bucket->name, "default");
    EXPECT_EQ(ReadFile(Path("CURRENT")).value_or(""), "MANIFEST-000001\n");
    EXPECT_EQ(Manifests(dir()), std::vector<std::string>{"MANIFEST-000001"});

    std::unique_ptr<VersionSet> again = NewVersionSet(dir());
    EXPECT_TRUE(absl::IsAlreadyExists(again->Create()));

    std::unique_ptr<VersionSet> recovered = NewVersionSet(dir());
    const absl::Status status = recovered->Recover();
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(recovered->DebugString(), created->DebugString());
    EXPECT_EQ(recovered->manifest_number(), 1u);
    EXPECT_EQ(recovered->next_file_number(), 2u);
  });
}

TEST_P(VersionSetTest, RecoverWithoutCurrentIsNotFound) {
  RunInEnv([&] {
    std::unique_ptr<VersionSet> versions = NewVersionSet(dir());
    EXPECT_TRUE(absl::IsNotFound(versions->Recover()));
  });
}

TEST_P(VersionSetTest, ManyEditsAcrossLevelsAndBucketsRecoverIdentically) {
  RunInEnv([&] {
    std::string state;
    CreateWithEdits(dir(), 200, {}, &state);
    // Recover writes nothing.
    const std::vector<std::string> files_before =
        fs().ListDir(dir()).value_or(std::vector<std::string>{});
    std::unique_ptr<VersionSet> recovered = NewVersionSet(dir());
    const absl::Status status = recovered->Recover();
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(StateOf(*recovered), state);
    EXPECT_EQ(fs().ListDir(dir()).value_or(std::vector<std::string>{}), files_before);
    EXPECT_GT(recovered->next_bucket_id(), 2u) << "the edits should add buckets";
    EXPECT_GT(recovered->current()->FileNumbers().size(), 10u);
    EXPECT_EQ(recovered->LiveFileNumbers(), recovered->current()->FileNumbers());
    EXPECT_GT(recovered->next_file_number(), recovered->manifest_number());

    // The recovered set continues: its first edit starts a new manifest.
    const std::string before = recovered->DebugString();
    const uint64_t old_manifest = recovered->manifest_number();
    EditGenerator generator(fs(), dir(), env().NewRandom("more edits"));
    for (int i = 0; i < 20; ++i) {
      absl::StatusOr<VersionEdit> edit = generator.Next(*recovered);
      ASSERT_TRUE(edit.ok()) << edit.status();
      ASSERT_TRUE(recovered->LogAndApply(std::move(*edit)).ok());
    }
    EXPECT_NE(recovered->manifest_number(), old_manifest);
    EXPECT_EQ(Manifests(dir()).size(), 1u);
    const std::string after = StateOf(*recovered);
    std::unique_ptr<VersionSet> again = NewVersionSet(dir());
    ASSERT_TRUE(again->Recover().ok());
    EXPECT_EQ(StateOf(*again), after);
    EXPECT_NE(after, before);
  });
}

TEST_P(VersionSetTest, RollOverThenRecover) {
  RunInEnv([&] {
    std::unique_ptr<VersionSet> versions = NewVersionSet(dir(), {.manifest_roll_bytes = 2048});
    ASSERT_TRUE(versions->Create().ok());
    EditGenerator generator(fs(), dir(), env().NewRandom("roll"));
    std::set<uint64_t> manifest_numbers = {versions->manifest_number()};
    for (int i = 0; i < 150; ++i) {
      absl::StatusOr<VersionEdit> edit = generator.Next(*versions);
      ASSERT_TRUE(edit.ok()) << edit.status();
      ASSERT_TRUE(versions->LogAndApply(std::move(*edit)).ok());
      manifest_numbers.insert(versions->manifest_number());
      // The old manifest is gone once the new one is current.
      ASSERT_EQ(Manifests(dir()).size(), 1u) << i;
    }
    EXPECT_GT(manifest_numbers.size(), 3u) << "the manifest should roll several times";
    char current[32];
    std::snprintf(current, sizeof(current), "MANIFEST-%06llu\n",
                  static_cast<unsigned long long>(versions->manifest_number()));
    EXPECT_EQ(ReadFile(Path("CURRENT")).value_or(""), current);
    // No temporary file is left behind.
    for (const std::string& name : fs().ListDir(dir()).value_or(std::vector<std::string>{})) {
      EXPECT_NE(ClassifyFileName(name), FileKind::kTemp) << name;
    }

    std::unique_ptr<VersionSet> recovered = NewVersionSet(dir());
    const absl::Status status = recovered->Recover();
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(recovered->DebugString(), versions->DebugString());
    EXPECT_EQ(recovered->manifest_number(), versions->manifest_number());
  });
}

TEST_P(VersionSetTest, LargeStateSnapshotSpansSeveralRecords) {
  RunInEnv([&] {
    std::unique_ptr<VersionSet> versions = NewVersionSet(dir());
    ASSERT_TRUE(versions->Create().ok());
    // Few files with huge boundary keys make a snapshot of several MiB.
    VersionEdit edit;
    constexpr int kFiles = 40;
    for (int i = 0; i < kFiles; ++i) {
      const uint64_t number = versions->NewFileNumber();
      ASSERT_TRUE(WriteTable(fs(), dir(), number, 1).ok());
      std::string key(kMaxKeyBytes, 'a');
      std::snprintf(key.data(), 16, "%015d", i);
      edit.AddFile(0, 1,
                   FileMetaData{.number = number,
                                .size_bytes = 1,
                                .smallest = MakeInternalKey(key.substr(0, kMaxKeyBytes - 1), 1,
                                                            ValueType::kValue),
                                .largest = MakeInternalKey(key, 1, ValueType::kValue),
                                .smallest_seq = 1,
                                .largest_seq = 1});
    }
    ASSERT_TRUE(fs().SyncDir(dir()).ok());
    ASSERT_TRUE(versions->LogAndApply(std::move(edit)).ok());
    // Recover, then the first edit writes the whole state as a snapshot.
    std::unique_ptr<VersionSet> recovered = NewVersionSet(dir());
    ASSERT_TRUE(recovered->Recover().ok());
    ASSERT_TRUE(recovered->LogAndApply(VersionEdit{}).ok());
    const uint64_t number = recovered->manifest_number();
    EXPECT_GT(RecordOffsets(ManifestFileName(dir(), number), number).size(), 2u);
    std::unique_ptr<VersionSet> again = NewVersionSet(dir());
    const absl::Status status = again->Recover();
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(again->DebugString(), recovered->DebugString());
    EXPECT_EQ(again->current()->NumFiles(0, 1), static_cast<size_t>(kFiles));
  });
}

TEST_P(VersionSetTest, GarbageCurrentIsCorruption) {
  RunInEnv([&] {
    std::unique_ptr<VersionSet> created = NewVersionSet(dir());
    ASSERT_TRUE(created->Create().ok());
    const std::vector<std::string> garbage = {"",
                                              "MANIFEST-000001",
                                              "MANIFEST-1\n",
                                              "MANIFEST-000001\n\n",
                                              "manifest-000001\n",
                                              "MANIFEST-00000x\n",
                                              "MANIFEST-000000\n",
                                              "MANIFEST-\n",
                                              "garbage\n",
                                              std::string(200, 'M'),
                                              "MANIFEST-99999999999999999999\n",
                                              std::string("MANIFEST-00") + '\0' + "001\n"};
    for (const std::string& contents : garbage) {
      ASSERT_TRUE(WriteFile(Path("CURRENT"), contents).ok());
      std::unique_ptr<VersionSet> versions = NewVersionSet(dir());
      const absl::Status status = versions->Recover();
      EXPECT_TRUE(IsCorruption(status)) << "'" << contents << "': " << status;
      EXPECT_TRUE(MessageHas(status, Path("CURRENT") + " at offset 0")) << status;
    }
    ASSERT_TRUE(WriteFile(Path("CURRENT"), "MANIFEST-000009\n").ok());
    std::unique_ptr<VersionSet> versions = NewVersionSet(dir());
    const absl::Status status = versions->Recover();
    EXPECT_TRUE(IsCorruption(status)) << status;
    EXPECT_TRUE(MessageHas(status, "MANIFEST-000009, which is missing")) << status;
  });
}

// ParseCurrentFile is what Recover applies to CURRENT's bytes (and what
// //fuzz:current fuzzes): only the canonical manifest name and a newline.
TEST(ParseCurrentFileTest, AcceptsOnlyTheCanonicalManifestName) {
  EXPECT_EQ(ParseCurrentFile("MANIFEST-000001\n", "/db/CURRENT").value_or(0), 1u);
  EXPECT_EQ(ParseCurrentFile("MANIFEST-1234567\n", "/db/CURRENT").value_or(0), 1234567u);
  EXPECT_EQ(ParseCurrentFile("MANIFEST-9999999999999999999\n", "/db/CURRENT").value_or(0),
            9999999999999999999u);
  for (const std::string& contents :
       {std::string(""), std::string("MANIFEST-000001"), std::string("MANIFEST-1\n"),
        std::string("MANIFEST-0000001\n"), std::string("MANIFEST-000000\n"),
        std::string("MANIFEST-00000x\n"), std::string("MANIFEST-000001\n\n"),
        std::string(kMaxCurrentFileBytes + 1, 'M'), std::string("MANIFEST-00") + '\0' + "001\n",
        std::string("MANIFEST-99999999999999999999\n")}) {
    const absl::StatusOr<uint64_t> parsed = ParseCurrentFile(contents, "/db/CURRENT");
    EXPECT_TRUE(IsCorruption(parsed.status())) << "'" << contents << "': " << parsed.status();
    EXPECT_TRUE(MessageHas(parsed.status(), "/db/CURRENT at offset 0")) << parsed.status();
  }
}

TEST_P(VersionSetTest, MissingOrResizedTableIsCorruption) {
  RunInEnv([&] {
    std::string state;
    CreateWithEdits(dir(), 30, {}, &state);
    std::unique_ptr<VersionSet> recovered = NewVersionSet(dir());
    ASSERT_TRUE(recovered->Recover().ok());
    const std::vector<uint64_t> live = recovered->current()->FileNumbers();
    ASSERT_FALSE(live.empty());
    const uint64_t victim = live[live.size() / 2];
    char name[32];
    std::snprintf(name, sizeof(name), "%06llu.sst", static_cast<unsigned long long>(victim));
    char manifest[32];
    std::snprintf(manifest, sizeof(manifest), "MANIFEST-%06llu",
                  static_cast<unsigned long long>(recovered->manifest_number()));

    const absl::StatusOr<uint64_t> size = fs().FileSize(TableFileName(dir(), victim));
    ASSERT_TRUE(size.ok());
    ASSERT_TRUE(WriteTable(fs(), dir(), victim, *size + 1).ok());
    absl::Status status = NewVersionSet(dir())->Recover();
    EXPECT_TRUE(IsCorruption(status)) << status;
    EXPECT_TRUE(MessageHas(status, name)) << status;
    EXPECT_TRUE(MessageHas(status, manifest)) << status;

    ASSERT_TRUE(fs().RemoveFile(TableFileName(dir(), victim)).ok());
    status = NewVersionSet(dir())->Recover();
    EXPECT_TRUE(IsCorruption(status)) << status;
    EXPECT_TRUE(MessageHas(
        status, std::string("missing table file ") + name + " referenced by " + manifest))
        << status;
  });
}

TEST_P(VersionSetTest, BitFlipMidManifestIsCorruptionWithOffset) {
  RunInEnv([&] {
    std::unique_ptr<VersionSet> versions = NewVersionSet(dir());
    ASSERT_TRUE(versions->Create().ok());
    EditGenerator generator(fs(), dir(), env().NewRandom("flip"));
    // Enough edits that the live manifest holds at least three records.
    std::vector<uint64_t> offsets;
    for (int i = 0; i < 100 && offsets.size() < 3; ++i) {
      absl::StatusOr<VersionEdit> edit = generator.Next(*versions);
      ASSERT_TRUE(edit.ok());
      ASSERT_TRUE(versions->LogAndApply(std::move(*edit)).ok());
      offsets = RecordOffsets(ManifestFileName(dir(), versions->manifest_number()),
                              versions->manifest_number());
    }
    ASSERT_GE(offsets.size(), 3u);
    const std::string path = ManifestFileName(dir(), versions->manifest_number());
    versions.reset();
    absl::StatusOr<std::string> bytes = ReadFile(path);
    ASSERT_TRUE(bytes.ok());
    // A bit in the payload of the second record (headers are 40 bytes).
    const uint64_t flipped = offsets[1] + 40 + 1;
    ASSERT_LT(flipped, offsets[2]);
    (*bytes)[flipped] ^= 0x10;
    ASSERT_TRUE(WriteFile(path, *bytes).ok());
    const absl::Status status = NewVersionSet(dir())->Recover();
    EXPECT_TRUE(IsCorruption(status)) << status;
    EXPECT_TRUE(MessageHas(status, path)) << status;
    EXPECT_TRUE(MessageHas(status, "offset " + std::to_string(offsets[1]))) << status;
  });
}

// Records whose checksums hold but whose edit is bad: Corruption naming the
// record's offset, whether or not it is the last record.
TEST_P(VersionSetTest, UndecodableOrInapplicableEditIsCorruptionWithOffset) {
  RunInEnv([&] {
    std::unique_ptr<VersionSet> versions = NewVersionSet(dir());
    ASSERT_TRUE(versions->Create().ok());
    const uint64_t number = versions->manifest_number();
    versions.reset();
    const std::string path = ManifestFileName(dir(), number);

    VersionEdit inapplicable;
    inapplicable.DeleteFile(0, 3, 1);
    std::string inapplicable_record;
    inapplicable.EncodeTo(inapplicable_record);
    const std::string unknown_tag = "\x01\x63\x01";
    for (const auto& [payload, why] :
         {std::pair{unknown_tag, std::string("unknown field tag 99")},
          std::pair{inapplicable_record, std::string("does not apply")}}) {
      const absl::StatusOr<std::string> original = ReadFile(path);
      ASSERT_TRUE(original.ok());
      {
        absl::StatusOr<std::unique_ptr<File>> file = fs().OpenFile(path, OpenMode::kReadWrite);
        ASSERT_TRUE(file.ok());
        LogWriter writer(std::move(*file), number, original->size());
        ASSERT_TRUE(writer.AddRecord(payload).ok());
        ASSERT_TRUE(writer.Sync(WalSyncMode::kSyncAll).ok());
        ASSERT_TRUE(writer.Close().ok());
      }
      const absl::Status status = NewVersionSet(dir())->Recover();
      EXPECT_TRUE(IsCorruption(status)) << status;
      EXPECT_TRUE(MessageHas(status, path)) << status;
      EXPECT_TRUE(MessageHas(status, "offset " + std::to_string(original->size()))) << status;
      EXPECT_TRUE(MessageHas(status, why)) << status;
      ASSERT_TRUE(WriteFile(path, *original).ok());
    }
    EXPECT_TRUE(NewVersionSet(dir())->Recover().ok());
  });
}

TEST_P(VersionSetTest, EditsThatDoNotFitAreRejectedWithoutHarm) {
  RunInEnv([&] {
    std::unique_ptr<VersionSet> versions = NewVersionSet(dir());
    ASSERT_TRUE(versions->Create().ok());
    const std::string before = versions->DebugString();
    VersionEdit missing;
    missing.DeleteFile(0, 1, 1);
    EXPECT_TRUE(absl::IsFailedPrecondition(versions->LogAndApply(std::move(missing))));
    VersionEdit reused_id;
    reused_id.AddBucket(0, "zero", BucketOptions{});
    EXPECT_FALSE(versions->LogAndApply(std::move(reused_id)).ok());
    VersionEdit backwards_log;
    backwards_log.log_number = versions->next_file_number() + 5;
    EXPECT_TRUE(absl::IsFailedPrecondition(versions->LogAndApply(std::move(backwards_log))));
    EXPECT_EQ(versions->DebugString(), before);

    // Not sticky: a good edit still goes through.
    VersionEdit bucket;
    bucket.AddBucket(versions->next_bucket_id(), "one", BucketOptions{});
    ASSERT_TRUE(versions->LogAndApply(std::move(bucket)).ok());
    EXPECT_EQ(versions->next_bucket_id(), 2u);
    std::unique_ptr<VersionSet> recovered = NewVersionSet(dir());
    ASSERT_TRUE(recovered->Recover().ok());
    EXPECT_EQ(recovered->DebugString(), versions->DebugString());
  });
}

// Bucket ids are never reused, even after the bucket is dropped and the
// manifest rolls (the snapshot carries the next id).
TEST_P(VersionSetTest, DroppedBucketIdsStayTaken) {
  RunInEnv([&] {
    std::unique_ptr<VersionSet> versions = NewVersionSet(dir());
    ASSERT_TRUE(versions->Create().ok());
    for (uint32_t id = 1; id <= 3; ++id) {
      VersionEdit add;
      add.AddBucket(id, "b" + std::to_string(id), BucketOptions{});
      ASSERT_TRUE(versions->LogAndApply(std::move(add)).ok());
    }
    VersionEdit drop;
    drop.DropBucket(3);
    drop.DropBucket(2);
    ASSERT_TRUE(versions->LogAndApply(std::move(drop)).ok());
    EXPECT_EQ(versions->next_bucket_id(), 4u);
    versions.reset();
    std::unique_ptr<VersionSet> recovered = NewVersionSet(dir());
    ASSERT_TRUE(recovered->Recover().ok());
    ASSERT_TRUE(recovered->LogAndApply(VersionEdit{}).ok());  // rolls: a snapshot
    recovered.reset();
    std::unique_ptr<VersionSet> again = NewVersionSet(dir());
    ASSERT_TRUE(again->Recover().ok());
    EXPECT_EQ(again->next_bucket_id(), 4u);
    EXPECT_EQ(again->current()->buckets().size(), 2u);
    VersionEdit reuse;
    reuse.AddBucket(3, "b3", BucketOptions{});
    EXPECT_TRUE(absl::IsFailedPrecondition(again->LogAndApply(std::move(reuse))));
  });
}

TEST_P(VersionSetTest, LiveFileNumbersIncludeVersionsReadersHold) {
  RunInEnv([&] {
    std::unique_ptr<VersionSet> versions = NewVersionSet(dir());
    ASSERT_TRUE(versions->Create().ok());
    const uint64_t number = versions->NewFileNumber();
    ASSERT_TRUE(WriteTable(fs(), dir(), number, 10).ok());
    VersionEdit add;
    add.AddFile(0, 2,
                FileMetaData{.number = number,
                             .size_bytes = 10,
                             .smallest = MakeInternalKey("a", 1, ValueType::kValue),
                             .largest = MakeInternalKey("b", 1, ValueType::kValue),
                             .smallest_seq = 1,
                             .largest_seq = 1});
    ASSERT_TRUE(versions->LogAndApply(std::move(add)).ok());
    std::shared_ptr<const Version> reader = versions->current();
    VersionEdit remove;
    remove.DeleteFile(0, 2, number);
    ASSERT_TRUE(versions->LogAndApply(std::move(remove)).ok());
    EXPECT_TRUE(versions->current()->FileNumbers().empty());
    EXPECT_EQ(versions->LiveFileNumbers(), std::vector<uint64_t>{number});
    reader.reset();
    EXPECT_TRUE(versions->LiveFileNumbers().empty());

    versions->MarkFileNumberUsed(number + 10);
    EXPECT_EQ(versions->NewFileNumber(), number + 11);
    versions->MarkFileNumberUsed(3);
    EXPECT_EQ(versions->NewFileNumber(), number + 12);
  });
}

// LogAndApply releases the caller's mutex around the manifest write, and
// holds it again on return.
TEST_P(VersionSetTest, LogAndApplyReleasesTheMutexAroundIo) {
  RunInEnv([&] {
    std::unique_ptr<VersionSet> versions = NewVersionSet(dir());
    ASSERT_TRUE(versions->Create().ok());
    std::unique_ptr<Mutex> mutex = env().scheduler->NewMutex();
    bool in_apply = false;  // guarded by mutex
    bool done = false;      // guarded by mutex
    int entered_during_apply = 0;
    std::unique_ptr<Task> other = env().scheduler->Spawn("other", [&] {
      for (int i = 0; i < 100000; ++i) {
        MutexLock lock(*mutex);
        if (in_apply) ++entered_during_apply;
        if (done) return;
        env().scheduler->Yield();
      }
    });
    for (int i = 0; i < 20; ++i) {
      MutexLock lock(*mutex);
      in_apply = true;
      VersionEdit edit;
      edit.AddBucket(versions->next_bucket_id(), "b" + std::to_string(i), BucketOptions{});
      ASSERT_TRUE(versions->LogAndApply(std::move(edit), mutex.get()).ok());
      mutex->AssertHeld();
      in_apply = false;
    }
    {
      MutexLock lock(*mutex);
      done = true;
    }
    other->Join();
    if (simulated()) {
      EXPECT_GT(entered_during_apply, 0);
    }
    EXPECT_EQ(versions->current()->buckets().size(), 21u);
  });
}

TEST_P(VersionSetTest, FailedManifestWriteIsSticky) {
  if (!simulated()) GTEST_SKIP() << "fault injection needs the simulator";
  RunInEnv([&] {
    std::unique_ptr<VersionSet> versions = NewVersionSet(dir());
    ASSERT_TRUE(versions->Create().ok());
    const std::string before = StateOf(*versions);
    absl::StatusOr<faultfs::RuleId> rule = simulator()->faults().AddRule(
        faultfs::FaultRule{.name = "manifest sync fails",
                           .when = {.ops = {faultfs::FileOp::kSync, faultfs::FileOp::kSyncData},
                                    .file_kinds = {FileKind::kManifest}},
                           .kind = faultfs::FaultKind::kEio});
    ASSERT_TRUE(rule.ok()) << rule.status();
    VersionEdit edit;
    edit.AddBucket(1, "one", BucketOptions{});
    absl::StatusOr<PreparedEdit> prepared = versions->PrepareEdit(std::move(edit));
    ASSERT_TRUE(prepared.ok());
    const std::string attempted = StateOf(*prepared);
    const absl::Status failed = versions->WriteEdit(*prepared);
    EXPECT_TRUE(IsIOError(failed)) << failed;
    simulator()->faults().RemoveRule(*rule);
    EXPECT_EQ(versions->PrepareEdit(VersionEdit{}).status(), failed);
    EXPECT_EQ(versions->LogAndApply(VersionEdit{}), failed);
    EXPECT_EQ(StateOf(*versions), before);
    versions.reset();
    // The failed edit may or may not have reached the disk.
    std::unique_ptr<VersionSet> recovered = NewVersionSet(dir());
    ASSERT_TRUE(recovered->Recover().ok());
    const std::string state = StateOf(*recovered);
    EXPECT_TRUE(state == before || state == attempted) << state;
  });
}

// Under the simulator: crash at every step of a short run of edits (appends
// and roll-overs: the roll bound is tiny), with every crash preset. Recovery
// always succeeds and yields the state after some prefix of the edits that
// includes every acknowledged one.
TEST_P(VersionSetTest, CrashDuringLogAndApplyRecoversAnAcknowledgedPrefix) {
  if (!simulated()) GTEST_SKIP() << "crashes need the simulator";
  constexpr int kEditsPerRun = 4;
  constexpr uint64_t kMaxStepsPerRun = 2000;
  constexpr VersionSetLimits kLimits{.manifest_roll_bytes = 256};
  Random random = env().NewRandom("crash rounds");
  RunInEnv([&] { ASSERT_TRUE(fs().SyncDir("/").ok()); });
  int rounds = 0;
  int crashed_mid_edit = 0;
  int lost_unacknowledged = 0;
  for (const faultfs::NamedCrashPolicy& preset : faultfs::CrashPolicyPresets()) {
    const uint64_t edits_seed = random.Next();
    // The first run is not cut short: it learns how many steps a run takes.
    std::optional<uint64_t> steps_per_run;
    for (uint64_t crash_step = 0; !steps_per_run || crash_step < *steps_per_run; ++crash_step) {
      ASSERT_LT(crash_step, kMaxStepsPerRun);
      ++rounds;
      const std::string db = Path(std::string(preset.name) + "_" + std::to_string(rounds));
      const std::string context =
          db + " policy " + std::string(preset.name) + " step " + std::to_string(crash_step);
      // states[i]: the state after i edits; edits [0, acknowledged) returned OK.
      std::vector<std::string> states;
      int acknowledged = 0;
      RunInEnv([&] {
        ASSERT_TRUE(fs().CreateDir(db).ok());
        ASSERT_TRUE(fs().SyncDir(dir()).ok());
        std::unique_ptr<VersionSet> versions = NewVersionSet(db, kLimits);
        ASSERT_TRUE(versions->Create().ok());
        states.push_back(StateOf(*versions));
      });
      std::unique_ptr<sim::FiberTask> task = simulator()->runtime().Spawn("edits", [&] {
        std::unique_ptr<VersionSet> versions = NewVersionSet(db, kLimits);
        if (!versions->Recover().ok()) return;
        EditGenerator generator(fs(), db, Random(edits_seed));
        for (int i = 0; i < kEditsPerRun; ++i) {
          absl::StatusOr<VersionEdit> edit = generator.Next(*versions);
          if (!edit.ok()) return;
          absl::StatusOr<PreparedEdit> prepared = versions->PrepareEdit(std::move(*edit));
          EXPECT_TRUE(prepared.ok()) << prepared.status();
          if (!prepared.ok()) return;
          states.push_back(StateOf(*prepared));
          if (!versions->WriteEdit(*prepared).ok()) return;
          versions->InstallEdit(std::move(*prepared));
          ++acknowledged;
        }
      });
      const sim::RunResult run = simulator()->Run(
          sim::RunLimits{.max_steps = steps_per_run ? crash_step : kMaxStepsPerRun});
      if (!steps_per_run) {
        ASSERT_EQ(run.reason, sim::RunReason::kQuiescent) << context;
        ASSERT_EQ(acknowledged, kEditsPerRun) << context;
        steps_per_run = run.steps;
      }
      simulator()->Crash(preset.policy);
      task.reset();
      ASSERT_FALSE(states.empty());
      const int attempted = static_cast<int>(states.size()) - 1;
      if (attempted > acknowledged) ++crashed_mid_edit;
      RunInEnv([&] {
        std::unique_ptr<VersionSet> recovered = NewVersionSet(db);
        const absl::Status status = recovered->Recover();
        ASSERT_TRUE(status.ok()) << context << ": " << status;
        const std::string state = StateOf(*recovered);
        bool matched = false;
        for (int k = acknowledged; k <= attempted && !matched; ++k) {
          if (states[k] == state) {
            matched = true;
            if (k < attempted) ++lost_unacknowledged;
          }
        }
        EXPECT_TRUE(matched) << context << ": acknowledged " << acknowledged << " attempted "
                             << attempted << "\nrecovered:\n"
                             << state;
        // The recovered database takes edits again.
        ASSERT_TRUE(recovered->LogAndApply(VersionEdit{}).ok()) << context;
        std::unique_ptr<VersionSet> again = NewVersionSet(db);
        ASSERT_TRUE(again->Recover().ok()) << context;
        EXPECT_EQ(StateOf(*again), StateOf(*recovered)) << context;
      });
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_GT(crashed_mid_edit, rounds / 8) << "crashes should often interrupt an edit";
  EXPECT_GT(lost_unacknowledged, 0) << "some crashes should lose an unacknowledged edit";
}

KILN_INSTANTIATE_ENV_TEST(VersionSetTest);

}  // namespace
}  // namespace kiln
