#include "figure_panes.h"

namespace clipscope::ui {

const QStringList& figure_pane_names() {
    static const QStringList kNames = {"window", "canvas", "grid", "sheet", "head", "scores", "gallery"};
    return kNames;
}

QString figure_pane_names_text() {
    QStringList names = figure_pane_names();
    const QString last = names.takeLast();
    return names.join(", ") + " or " + last;
}

}  // namespace clipscope::ui
