#pragma once
// The numbers behind the figures, for scripts and papers: writes into a folder
//   view.json    model, image, direction, ablated heads, self-check, timings (the caption's facts)
//   heads.csv    layer, head (or MLP), direct contribution along the direction, ablated, TextSpan label
//   scores.csv   label, probability unablated, probability ablated
//   map.npy      [G, G] float32 map of the canvas (row-major patches)
//   neighbours.csv  rank, image, score (when a gallery is shown)
// Every file is written atomically.
#include <QString>
#include <QStringList>

#include "analysis_types.h"

namespace clipscope::ui {

class HeadGridModel;
class ViewState;

// The files export_view_data writes into `dir` (checked before writing).
QStringList view_data_files(const QString& dir);

// Returns "" on success, else a message naming the file and the problem.
QString export_view_data(const ViewState& state, const HeadGridModel& grid, const NeighborsPtr& neighbors,
                         const QString& folder);

}  // namespace clipscope::ui
