#include "figure_panes.h"

namespace clipscope::ui {

const QList<FigurePane>& figure_panes() {
    static const QList<FigurePane> kPanes = {
        {"window", "the whole window"},           {"canvas", "the image with its map"},
        {"grid", "the layer x head grid"},        {"head", "the selected head's detail"},
        {"scores", "texts and zero-shot scores"}, {"gallery", "the image set and neighbours"},
    };
    return kPanes;
}

QStringList figure_pane_names() {
    QStringList names;
    for (const FigurePane& p : figure_panes()) names << p.name;
    return names;
}

QString figure_pane_names_text() {
    QStringList names = figure_pane_names();
    const QString last = names.takeLast();
    return names.join(", ") + " or " + last;
}

}  // namespace clipscope::ui
