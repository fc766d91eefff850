#pragma once
// Light (the style's own) or dark palette for the whole app; panes repaint with it.
namespace clipscope::ui {

void apply_palette(bool dark);

}  // namespace clipscope::ui
