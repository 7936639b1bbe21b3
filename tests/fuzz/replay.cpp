/* gst-webrtc-session: runs a fuzz target over files and directories of
 * inputs, for builds without libFuzzer (see fuzz.h). Exits non-zero when
 * no input was found; a broken invariant aborts. */
#include "fuzz.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

void
collect(const std::string &path, std::vector<std::string> &files) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return;
  if (!S_ISDIR(st.st_mode)) {
    files.push_back(path);
    return;
  }
  DIR *dir = opendir(path.c_str());
  if (!dir)
    return;
  while (struct dirent *e = readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != "..")
      collect(path + "/" + name, files);
  }
  closedir(dir);
}

} // namespace

int
main(int argc, char **argv) {
  std::vector<std::string> files;
  for (int i = 1; i < argc; i++) {
    if (argv[i][0] != '-') /* libFuzzer flags are ignored */
      collect(argv[i], files);
  }
  std::sort(files.begin(), files.end());
  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  if (files.empty()) {
    fprintf(stderr, "no inputs found\n");
    return 1;
  }
  for (const auto &f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string data(
        (std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fprintf(stderr, "%s (%zu bytes)\n", f.c_str(), data.size());
    LLVMFuzzerTestOneInput(
        reinterpret_cast<const uint8_t *>(data.data()), data.size());
  }
  fprintf(stderr, "%zu inputs ran\n", files.size());
  return 0;
}
