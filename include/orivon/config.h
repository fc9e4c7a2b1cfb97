#pragma once

/// \file
/// Module configuration: the text values a module reads through the standard
/// `wasi:config/store` interface (`get(key)`, `get-all()`).
///
/// A module's configuration is its manifest's `[config]` table, overridden
/// key by key by the client (Runtime::set_config, `orivon config set`). The
/// client's values are stored in the state directory, so they survive a
/// restart; unsetting one brings back the manifest's value, if it has one.
/// A module sees only its own configuration: the interface takes no module
/// name, and the host answers from the configuration of the module whose
/// store makes the call (a library linked into a caller runs in the caller's
/// store, so it reads the caller's configuration, as it shares its WASI
/// context).
///
/// A change is seen by the module's next call, with no restart: each call
/// into a module reads one consistent snapshot of its configuration, pinned
/// when the call first asks for it (see src/host/config_host.h).
///
///   runtime->set_config(id, "network", "regtest");
///   auto config = runtime->module_config(id);   // [{network, regtest, Client, "mainnet"}]
///
/// Keys: 1 to 128 characters of a-z, 0-9, '_' and '-', starting with a
/// letter or digit (`max-peers`). Values: valid UTF-8 text of at most 8,192
/// characters, which may hold newlines and tabs but no other control
/// character. At most 256 keys per module, manifest and client values
/// together. (The limits and their reasons are in src/core/limits.h.)

#include <optional>
#include <string>
#include <string_view>

#include "orivon/export.h"
#include "orivon/result.h"

namespace orivon {

/// Where the value a module sees comes from.
enum class ConfigSource {
  Manifest,  ///< the manifest's `[config]` table
  Client,    ///< set by the client (Runtime::set_config)
};

/// "manifest" or "client".
ORIVON_API std::string_view config_source_name(ConfigSource source);

/// One key of a module's configuration.
struct ConfigEntry {
  std::string key;
  std::string value;  ///< what the module sees
  ConfigSource source = ConfigSource::Manifest;
  /// The manifest's value when the client's overrides it (it comes back
  /// when the client's value is unset).
  std::optional<std::string> manifest_value;

  friend bool operator==(const ConfigEntry&, const ConfigEntry&) = default;
};

/// Checks a key. InvalidArgument saying what is wrong and what a key may be.
[[nodiscard]] ORIVON_API Result<void> check_config_key(std::string_view key);

/// Checks a value. InvalidArgument for text that is not UTF-8, holds a
/// control character other than tab, newline and carriage return, or is
/// longer than the limit (the message gives both lengths).
[[nodiscard]] ORIVON_API Result<void> check_config_value(std::string_view value);

}  // namespace orivon
