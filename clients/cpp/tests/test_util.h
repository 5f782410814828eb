// Shared test helpers: a temporary folder removed at scope exit, file writing,
// filling a repeated protobuf field.
#ifndef TFINTEROP_TESTS_TEST_UTIL_H_
#define TFINTEROP_TESTS_TEST_UTIL_H_

#include <google/protobuf/repeated_field.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <string>
#include <type_traits>

namespace tfinterop::testing {

class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("tfinterop-cpp-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void WriteFile(const std::filesystem::path& path, const std::string& data) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

// The repository's exported golden cases, if `make export` ran.
inline std::filesystem::path RepoPath(const std::string& relative) {
  return std::filesystem::path(TFINTEROP_ROOT) / relative;
}

// RepeatedField::Add of a list (protobuf 3.21 has no initializer_list
// overload); the list's type follows the field's (1 fills a float field).
template <typename F>
void Fill(google::protobuf::RepeatedField<F>* field,
          std::initializer_list<typename std::remove_cv<F>::type> values) {
  for (const F v : values) field->Add(v);
}

}  // namespace tfinterop::testing

#endif  // TFINTEROP_TESTS_TEST_UTIL_H_
