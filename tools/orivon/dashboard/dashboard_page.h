#pragma once

// The dashboard's page (page.html: markup, style and script in one file),
// built into the binary by tools/orivon/CMakeLists.txt: nothing is read from
// disk or fetched from elsewhere at run time.

#include <string_view>

namespace orivon::cli {

std::string_view dashboard_page();

}  // namespace orivon::cli
