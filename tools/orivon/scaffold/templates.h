#pragma once

// The files `orivon new` writes: a module's WIT, source, manifest and
// Makefile, which build outside the repository with `orivon build`.

#include <string>
#include <string_view>
#include <vector>

namespace orivon::cli {

enum class ScaffoldKind { Service, Library, Function };
enum class ScaffoldLanguage { C, Go };

struct ScaffoldSpec {
  ScaffoldKind kind = ScaffoldKind::Service;
  ScaffoldLanguage language = ScaffoldLanguage::C;
  std::string name;  // [a-z][a-z0-9]*: the file names, the WIT world and package
  std::string id;    // the module id in the manifest
};

struct ScaffoldFile {
  std::string path;  // relative to the module's directory
  std::string text;
};

std::vector<ScaffoldFile> scaffold_files(const ScaffoldSpec& spec);

// orivon's own WIT package orivon:service (wit/service/service.wit),
// built into the binary so a scaffold needs no checkout of the repository.
std::string_view service_wit();

}  // namespace orivon::cli
