// Novelty keys: what makes two candidates "the same" before evaluation.
//
// NormalizeSource strips comments and insignificant whitespace so that edits
// which change only formatting or comments hash identically. The daemon must
// put NormalizedSourceHash(source) into attempt_finished.source_hash; the
// planner's duplicate check and the tuner's tried set rely on it.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace ksearch::planner {

// Removes // and /* */ comments (not inside string or char literals), collapses
// every whitespace run to nothing, except a single space between two
// identifier/number characters and after a preprocessor line (newline kept).
std::string NormalizeSource(std::string_view source);

// Lower-case hex sha256 of NormalizeSource(source).
std::string NormalizedSourceHash(std::string_view source);
// The same hash of a source already normalized (NormalizeSource's output).
std::string HashOfNormalizedSource(std::string_view normalized_source);

// Key of a semantic repeat: the same change along the same axis on the same
// parent. The change is the span of tokens of the normalized sources between
// their common prefix and suffix; names it declares that the parent never
// mentions (a new array, pointer, constant, macro or helper: after a type
// word, or `*`/`&` after one, and before `= ; , [ ( ) { > :`, or after
// #define) are renamed $0, $1, ... by first appearance. So two proposals
// share a key when they differ only in comments, formatting or the names of
// what they add; a different intrinsic, type, literal or use of an existing
// name is a different change. (The source hash already catches a change
// repeated to the byte; before 2026-11-25 the key was that too, a byte span.)
// ksearchd writes the key into attempt_finished, so a planner rebuilt from
// the log knows every key (docs/planner.md, "Novelty").
std::string SemanticChangeKey(std::string_view parent_candidate, std::string_view axis,
                              std::string_view parent_source, std::string_view child_source);
// The same key from sources already normalized (NormalizeSource): for a
// caller that also needs the child's NormalizedSourceHash, so each source is
// normalized once.
std::string SemanticChangeKeyOfNormalized(std::string_view parent_candidate, std::string_view axis,
                                          std::string_view normalized_parent, std::string_view normalized_child);

}  // namespace ksearch::planner
