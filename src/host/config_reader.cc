#include "host/config_reader.h"

namespace orivon::host {

Result<const registry::ConfigSnapshot*> ConfigReader::snapshot_for(std::uint64_t call) {
  if (pinned_ && pinned_call_ == call) return pinned_.get();
  if (!module_) {
    static const registry::ConfigSnapshot kEmpty;
    return &kEmpty;
  }
  if (!cell_) {
    // Not kept on failure: the next call asks again (the module may be
    // installed again, or its value repaired).
    ORIVON_TRY(cell_, source_.config_cell(*module_));
  }
  pinned_ = cell_->load();
  pinned_call_ = call;
  return pinned_.get();
}

Result<std::optional<std::string>> ConfigReader::get(std::uint64_t call, std::string_view key) {
  ORIVON_TRY(const auto* snapshot, snapshot_for(call));
  auto it = snapshot->values.find(key);
  if (it == snapshot->values.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Result<std::vector<std::pair<std::string, std::string>>> ConfigReader::get_all(std::uint64_t call) {
  ORIVON_TRY(const auto* snapshot, snapshot_for(call));
  return std::vector<std::pair<std::string, std::string>>(snapshot->values.begin(),
                                                          snapshot->values.end());
}

}  // namespace orivon::host
