// gnuplot as the renderer of `sweep plot`: a Figure becomes one self-contained gnuplot
// script (data inline as `$name << EOD` blocks), piped into the `gnuplot` program. The
// same script, saved with --script, reruns with `gnuplot FILE` for restyling.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "client/plot.h"

namespace sweep::client {

// The terminal line for an output file, by its extension: .png (pngcairo), .svg, .pdf
// (pdfcairo, 100 pixels per inch). INVALID_ARGUMENT naming --out otherwise.
absl::StatusOr<std::string> GnuplotTerminal(const std::string& out_path, int width, int height);

// The whole script: terminal, output, data blocks, one plot command per panel.
std::string GnuplotScript(const Figure& figure, const std::string& terminal,
                          const std::string& out_path);

// Runs `program` (normally "gnuplot", found on PATH) with `script` on its stdin.
// FAILED_PRECONDITION naming the Debian package when the program is missing; INTERNAL
// with gnuplot's own messages when it fails.
absl::Status RunGnuplot(const std::string& script, const std::string& program = "gnuplot");

}  // namespace sweep::client
