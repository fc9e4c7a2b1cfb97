// Program's accessors: a Program is a handle on the ProgramData the loader
// built, so it is implemented where that lives.

#include "orivon/program.h"

#include "engine/program_data.h"

namespace orivon {

ProgramKind Program::kind() const { return data_->kind; }
const std::string& Program::name() const { return data_->name; }
std::uint64_t Program::size_bytes() const { return data_->size_bytes; }

}  // namespace orivon
