// The names of the files in a Kiln database directory, and how to tell a
// file's kind from its name. faultfs uses the classification to aim faults
// at one kind of file ("every WAL sync fails"). Layout: engine/docs/.
//
//   NNNNNN.log        write-ahead log
//   NNNNNN.sst        sorted table
//   NNNNNN.blob       blob file (large values)
//   MANIFEST-NNNNNN   manifest: a log of version edits
//   CURRENT           names the live manifest
//   LOCK              held by the one writer
//   *.tmp             temporary file, renamed into place or removed
#ifndef KILN_DB_FILE_NAMES_H_
#define KILN_DB_FILE_NAMES_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

enum class FileKind : uint8_t {
  kWal,
  kTable,
  kBlob,
  kManifest,
  kCurrent,
  kLock,
  kTemp,
  kOther,
};

// Classifies by the last path component.
FileKind ClassifyFileName(std::string_view path);
std::string_view FileKindName(FileKind kind);

std::string WalFileName(std::string_view dir, uint64_t number);
std::string TableFileName(std::string_view dir, uint64_t number);
std::string BlobFileName(std::string_view dir, uint64_t number);
std::string ManifestFileName(std::string_view dir, uint64_t number);
std::string CurrentFileName(std::string_view dir);
std::string LockFileName(std::string_view dir);
std::string TempFileName(std::string_view dir, uint64_t number);

}  // namespace kiln

#endif  // KILN_DB_FILE_NAMES_H_
