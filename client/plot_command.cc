// `sweep plot` (see plot.h): query, figure, gnuplot.
#include <fstream>

#include "absl/strings/str_cat.h"
#include "client/commands.h"
#include "client/gnuplot.h"
#include "client/plot.h"
#include "common/status.h"

namespace sweep::client {

absl::Status CmdPlot(Backend& backend, const PlotArgs& args, std::ostream& out) {
  // Everything the command line alone decides is checked before any query.
  SWEEP_RETURN_IF_ERROR(CheckPlotOptions(args.options));
  const PlotOptions& o = args.options;
  SWEEP_ASSIGN_OR_RETURN(std::string terminal, GnuplotTerminal(args.out, o.width, o.height));
  SWEEP_ASSIGN_OR_RETURN(int64_t id, ResolveSweep(backend, args.sweep));
  SWEEP_ASSIGN_OR_RETURN(SweepSummary summary, backend.GetSweep(id));
  // Grouped by every key but seed, so that Figure* can refuse to merge unlike jobs.
  SWEEP_ASSIGN_OR_RETURN(ResultsQuery q,
                         MakeQuery(id, QueryArgs{args.sweep, args.where, "", Format::kTable}));
  const std::string title = absl::StrCat("sweep ", id, " \"", summary.name, "\"");
  absl::StatusOr<Figure> figure;
  if (o.x == "n") {
    SWEEP_ASSIGN_OR_RETURN(auto curves, backend.Curves(q));
    figure = FigureFromCurves(curves, o, title);
  } else {
    SWEEP_ASSIGN_OR_RETURN(auto results, backend.Results(q));
    figure = FigureFromResults(results, o, title);
  }
  if (!figure.ok()) {
    return absl::Status(figure.status().code(),
                        absl::StrCat("sweep ", id, ": ", figure.status().message()));
  }
  const std::string script = GnuplotScript(*figure, terminal, args.out);
  if (!args.script.empty()) {
    std::ofstream file(args.script, std::ios::binary | std::ios::trunc);
    file << script;
    file.close();
    if (!file) return absl::InternalError(absl::StrCat("--script: cannot write ", args.script));
  }
  SWEEP_RETURN_IF_ERROR(RunGnuplot(script));
  size_t lines = 0;
  for (const Panel& p : figure->panels) lines += p.series.size();
  out << "wrote " << args.out << ": " << figure->panels.size() << " panel"
      << (figure->panels.size() == 1 ? "" : "s") << ", " << lines << " line"
      << (lines == 1 ? "" : "s") << "\n";
  return absl::OkStatus();
}

}  // namespace sweep::client
