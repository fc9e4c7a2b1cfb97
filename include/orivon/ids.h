#pragma once

/// \file
/// Module ids: Android-style reverse-DNS names such as `bitcoin.node.metamask`,
/// `lib.math.orivon` or `group.network.btc-1-0`. At least three dot-separated
/// segments of lowercase letters, digits and hyphens, each starting with a
/// letter or digit; at most 255 characters. The first segment gives the kind:
/// `lib` a library, `group` a group, anything else a service module.

#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "orivon/export.h"
#include "orivon/result.h"

namespace orivon {

enum class ModuleKind {
  Service,  ///< application logic, runs with its own state
  Library,  ///< `lib.*`: linked into its callers, no state of its own
  Group,    ///< `group.*`: a facade over modules implementing one interface
};

/// "service", "library" or "group".
ORIVON_API std::string_view module_kind_name(ModuleKind kind);

/// A validated module id. Only parse() makes one, so holding a ModuleId means
/// holding a valid id. Cheap to copy; thread-compatible.
class ORIVON_API ModuleId {
 public:
  static constexpr std::size_t kMaxLength = 255;
  static constexpr std::size_t kMinSegments = 3;

  /// Validates `text`. Fails with InvalidArgument and a message that says
  /// what is wrong and shows a good id.
  [[nodiscard]] static Result<ModuleId> parse(std::string_view text);

  const std::string& str() const { return text_; }
  ModuleKind kind() const { return kind_; }

  friend bool operator==(const ModuleId& a, const ModuleId& b) { return a.text_ == b.text_; }
  friend std::strong_ordering operator<=>(const ModuleId& a, const ModuleId& b) {
    return a.text_ <=> b.text_;
  }

 private:
  ModuleId(std::string text, ModuleKind kind) : text_(std::move(text)), kind_(kind) {}
  std::string text_;
  ModuleKind kind_;
};

}  // namespace orivon

template <>
struct std::hash<orivon::ModuleId> {
  std::size_t operator()(const orivon::ModuleId& id) const noexcept {
    return std::hash<std::string>()(id.str());
  }
};
