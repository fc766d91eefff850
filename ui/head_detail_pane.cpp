#include "head_detail_pane.h"

#include <QChart>
#include <QChartView>
#include <QHBoxLayout>
#include <QLineSeries>
#include <QValueAxis>
#include <QImage>
#include <QLabel>
#include <QListWidget>
#include <QPixmap>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "colour_bar.h"
#include "colour_maps.h"
#include "head_grid_model.h"
#include "palette.h"
#include "view_state.h"

namespace clipscope::ui {

HeadDetailPane::HeadDetailPane(ViewState* state, HeadGridModel* grid, QWidget* parent)
    : QWidget(parent), state_(state), grid_(grid) {
    title_ = new QLabel(this);
    QFont f = title_->font();
    f.setBold(true);
    title_->setFont(f);
    value_ = new QLabel(this);
    value_->setWordWrap(true);
    map_ = new QLabel(this);
    map_->setFixedSize(128, 128);
    map_->setAlignment(Qt::AlignCenter);
    map_->setFrameShape(QFrame::StyledPanel);
    labels_ = new QListWidget(this);
    chart_ = new QChartView(new QChart, this);
    chart_->setRenderHint(QPainter::Antialiasing);
    chart_->setMinimumSize(200, 150);
    chart_->chart()->legend()->hide();
    chart_->chart()->setMargins(QMargins(2, 2, 2, 2));
    auto* top = new QHBoxLayout;
    auto* text = new QVBoxLayout;
    text->addWidget(title_);
    text->addWidget(value_);
    text->addStretch(1);
    top->addLayout(text, 1);
    top->addWidget(map_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(labels_, 3);
    bottom->addWidget(chart_, 2);
    layout->addLayout(bottom, 1);
    connect(state_, &ViewState::selectionChanged, this, &HeadDetailPane::refresh);
    connect(state_, &ViewState::liveChanged, this, &HeadDetailPane::refresh);
    refresh();
}

void HeadDetailPane::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) refresh();
}

void HeadDetailPane::refresh() {
    const int layer = state_->selectedLayer(), head = state_->selectedHead();
    labels_->clear();
    map_->clear();
    QChart* chart = chart_->chart();
    chart->removeAllSeries();
    for (QAbstractAxis* axis : chart->axes()) {
        chart->removeAxis(axis);
        delete axis;
    }
    chart->setTitle({});
    match_chart_theme(chart);
    if (layer < 0 || !state_->model()) {
        title_->setText(tr("No head selected"));
        value_->setText(tr("Click a cell of the head grid."));
        return;
    }
    const bool pool = grid_->isPoolingRow(layer);
    title_->setText(pool        ? tr("The attention pooling head's MLP")
                    : head >= 0 ? tr("Layer %1, head %2").arg(layer).arg(head)
                                : tr("Layer %1, MLP").arg(layer));
    const LiveResult& live = state_->live();
    const QVariant v = grid_->data(grid_->indexOf(layer, head), HeadGridModel::ContributionRole);
    value_->setText(v.isValid() ? (pool ? tr("Direct contribution along %1: %2 (its share of %3, one term: the "
                                             "pooling MLP is not linear, so it is not split by patch)")
                                        : tr("Direct contribution along %1: %2 (its share of %3, summed over patches)"))
                                      .arg(live.direction_label)
                                      .arg(v.toDouble(), 0, 'g', 4)
                                      .arg(live.units.mid(live.units.indexOf("cos")))
                                : tr("Enter a text or labels to see its contribution."));
    const HeadTexts texts = head >= 0 ? grid_->headTexts(layer, head) : HeadTexts();
    if (texts.texts.isEmpty())
        labels_->addItem(head < 0 ? tr("(MLPs have no TextSpan descriptions)")
                                  : tr("(no TextSpan descriptions: put the model's textspan.json beside it, or Model "
                                       "\u2192 Load TextSpan labels)"));
    if (!texts.texts.isEmpty())
        labels_->addItem(tr("TextSpan picks in order: variance of the head's outputs each explains, cumulative"));
    double cumulative = 0;
    for (int i = 0; i < texts.texts.size(); ++i) {
        const double share = i < texts.variance.size() ? texts.variance[i] : 0.0;
        cumulative += share;
        labels_->addItem(QString("%1. %2  (%3, %4)")
                             .arg(i + 1)
                             .arg(texts.texts[i])
                             .arg(share, 0, 'f', 3)
                             .arg(cumulative, 0, 'f', 3));
    }
    if (!texts.variance.isEmpty()) {
        // Cumulative variance explained as picks are added: where the curve flattens, the head's span is covered.
        auto* series = new QLineSeries;
        double total = 0;
        series->append(0, 0);
        for (int i = 0; i < texts.variance.size(); ++i) series->append(i + 1, total += texts.variance[i]);
        chart->addSeries(series);
        // Round ticks: picks in steps of 1, 2 or 5, the variance in steps of 0.25 (or 0.05 when small).
        const int picks = static_cast<int>(texts.variance.size());
        auto* x = new QValueAxis;
        const int x_step = picks <= 5 ? 1 : picks <= 10 ? 2 : 5;
        const int x_max = (picks + x_step - 1) / x_step * x_step;
        x->setRange(0, x_max);
        x->setTickCount(x_max / x_step + 1);
        x->setLabelFormat("%d");
        x->setTitleText(tr("picks"));
        auto* y = new QValueAxis;
        const double step = total > 0.3 ? 0.25 : 0.05;
        y->setRange(0, std::max(step, std::ceil(total / step) * step));
        y->setTickCount(static_cast<int>(std::lround(y->max() / step)) + 1);
        y->setLabelFormat("%.2f");
        chart->setTitle(tr("cumulative variance"));
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        series->attachAxis(x);
        series->attachAxis(y);
    }

    // The head's own map along the direction, in the diverging map over its own symmetric range.
    if (head < 0) return;
    const FloatArray m = state_->headMap(layer, head);
    if (m.rank() != 2) return;
    const int64_t G = m.shape[0];
    const double range = usable_range(max_abs(m));
    QImage img(static_cast<int>(G), static_cast<int>(G), QImage::Format_RGB32);
    for (int64_t i = 0; i < G * G; ++i)
        img.setPixelColor(static_cast<int>(i % G), static_cast<int>(i / G),
                          diverging_colour(m.data[size_t(i)] / range));
    map_->setPixmap(QPixmap::fromImage(img.scaled(map_->size(), Qt::KeepAspectRatio, Qt::FastTransformation)));
    map_->setToolTip(tr("This head's own map along %1 (patch grid %2\u00d7%2): %3, colour range \u00b1%4 (its largest "
                        "|value|)")
                         .arg(live.direction_label)
                         .arg(G)
                         .arg(live.units, tick_text(range)));
}

}  // namespace clipscope::ui
