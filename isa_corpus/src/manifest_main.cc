// ksearch-isa-manifest: regenerate or check isa_corpus/manifest.json without
// building the whole `ksearch` client (same code as `ksearch isa manifest`).
//   ksearch-isa-manifest [--check] [CORPUS_ROOT]
// Exit codes: 0 written / up to date, 1 stale or load error, 2 usage.
#include <cstring>
#include <fstream>
#include <iostream>

#include "ksearch/isa_corpus/corpus.h"
#include "ksearch/isa_corpus/manifest.h"

int main(int argc, char** argv) {
  using namespace ksearch::isa_corpus;
  bool check = false;
  CorpusOptions opts;
  opts.root = DefaultCorpusRoot();
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--check") == 0) {
      check = true;
    } else if (argv[i][0] == '-') {
      std::cerr << "usage: ksearch-isa-manifest [--check] [CORPUS_ROOT]\n";
      return 2;
    } else {
      opts.root = argv[i];
    }
  }
  auto corpus = Corpus::Open(opts);
  if (!corpus.ok()) {
    std::cerr << "ksearch-isa-manifest: " << corpus.status().message() << "\n";
    return 1;
  }
  if (check) {
    ksearch::Status s = CheckManifest(**corpus);
    if (!s.ok()) {
      std::cerr << "ksearch-isa-manifest: " << s.message() << "\n";
      return 1;
    }
    std::cout << "manifest.json is up to date\n";
    return 0;
  }
  const std::string path = opts.root + "/manifest.json";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << BuildManifest(**corpus);
  if (!out.flush()) {
    std::cerr << "ksearch-isa-manifest: cannot write " << path << "\n";
    return 1;
  }
  std::cout << "wrote " << path << " (" << (*corpus)->chapters().size() << " chapters, " << (*corpus)->rules().size()
            << " rules)\n";
  return 0;
}
