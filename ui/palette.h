#pragma once
// Light (the style's own) or dark palette for the whole app; panes repaint with it.
class QChart;

namespace clipscope::ui {

void apply_palette(bool dark);
// The light or dark chart theme to match the palette.
void match_chart_theme(QChart* chart);
// Whether the app's palette is dark (the window colour), for what the palette does not
// reach: Qt Charts take a theme of their own.
bool palette_is_dark();

}  // namespace clipscope::ui
