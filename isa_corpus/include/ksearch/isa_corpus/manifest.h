// manifest.json: a generated index of the corpus (chapters and rules with
// their metadata, sections and content hashes). Never edited by hand:
// `ksearch isa manifest --write` regenerates it and a CI test checks that
// the checked-in file equals BuildManifest() of the checked-in chapters.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "ksearch/core/status.h"
#include "ksearch/isa_corpus/corpus.h"

namespace ksearch::isa_corpus {

// Pretty-printed JSON (2-space indent, trailing newline), chapters and rules
// sorted by id, paths relative to corpus.root(). Deterministic: the same
// files give byte-identical output.
std::string BuildManifest(const Corpus& corpus);

// Compares <root>/manifest.json with BuildManifest(); Corruption naming the
// file and the first differing chapter when stale, NotFound when missing.
Status CheckManifest(const Corpus& corpus);

}  // namespace ksearch::isa_corpus
