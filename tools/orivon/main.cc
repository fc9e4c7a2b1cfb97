#include <iostream>

#include "cli.h"

int main(int argc, char** argv) { return orivon::cli::run_cli(argc, argv, std::cout, std::cerr); }
