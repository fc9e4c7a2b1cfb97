# Turns a text file into a C++ source defining `std::string_view FUNCTION()`
# in namespace NAMESPACE that returns its bytes. Run as a script:
#   cmake -DINPUT=page.html -DOUTPUT=page.cc -DNAMESPACE=a::b -DFUNCTION=page -P EmbedText.cmake
# The bytes are written as numbers, so no content can end a string literal.
file(READ "${INPUT}" bytes HEX)
string(LENGTH "${bytes}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," numbers "${bytes}")
# Line breaks every 16 bytes keep the generated file readable by tools.
# (CMake's regular expressions have no {n}: the 16 is spelled out.)
string(REPEAT "0x[0-9a-f][0-9a-f]," 16 sixteen)
string(REGEX REPLACE "(${sixteen})" "\\1\n" numbers "${numbers}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by cmake/EmbedText.cmake. Do not edit.
#include <string_view>

namespace ${NAMESPACE} {
namespace {
constexpr unsigned char kBytes[] = {
${numbers}
0};
}  // namespace

std::string_view ${FUNCTION}() { return std::string_view(reinterpret_cast<const char*>(kBytes), ${size}); }

}  // namespace ${NAMESPACE}
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
