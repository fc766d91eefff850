#include "scores_pane.h"

#include <QBarCategoryAxis>
#include <algorithm>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QTimer>
#include <QToolButton>
#include <QHorizontalBarSeries>
#include <QFontMetrics>
#include <QLabel>
#include <QLineEdit>
#include <QValueAxis>
#include <QVBoxLayout>

#include "clipscope/analysis/zero_shot.h"
#include "palette.h"
#include "view_state.h"

namespace clipscope::ui {

ScoresPane::ScoresPane(ViewState* state, QWidget* parent) : QWidget(parent), state_(state) {
    text_a_ = new QLineEdit(this);
    text_b_ = new QLineEdit(this);
    labels_ = new QLineEdit(this);
    text_a_->setPlaceholderText(tr("a red circle"));
    text_b_->setPlaceholderText(tr("optional: rather than \u2026"));
    labels_->setPlaceholderText(tr("circle, square, triangle"));
    // Texts apply as you type, once typing pauses (600 ms), and at once on Enter or leaving the field.
    auto* debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(600);
    auto apply = [this] {
        bool modified = false;
        for (QLineEdit* e : {text_a_, text_b_, labels_}) {
            modified = modified || e->isModified();
            e->setModified(false);
        }
        if (modified) Q_EMIT queryChanged();
    };
    connect(debounce, &QTimer::timeout, this, apply);
    for (QLineEdit* e : {text_a_, text_b_, labels_}) {
        connect(e, &QLineEdit::textEdited, debounce, qOverload<>(&QTimer::start));
        connect(e, &QLineEdit::editingFinished, this, [debounce, apply] {
            debounce->stop();
            apply();
        });
    }
    auto* form = new QFormLayout;
    form->addRow(tr("Text &A"), text_a_);
    form->addRow(tr("rather than &B"), text_b_);
    auto* labels_row = new QHBoxLayout;
    auto* from_file = new QToolButton(this);
    from_file->setText(tr("\u2026"));
    from_file->setToolTip(tr("Labels from a file: one per line, or comma-separated"));
    connect(from_file, &QToolButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Labels file"));
        if (path.isEmpty()) return;
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly) || f.size() > (8 << 20)) return;
        QStringList labels;
        for (const std::string& l : split_labels(f.readAll().toStdString())) labels << QString::fromStdString(l);
        labels_->setText(labels.join(", "));
        Q_EMIT queryChanged();
    });
    labels_row->addWidget(labels_, 1);
    labels_row->addWidget(from_file);
    auto* labels_label = new QLabel(tr("&Labels"), this);
    labels_label->setBuddy(labels_);
    form->addRow(labels_label, labels_row);

    summary_ = new QLabel(this);
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* chart = new QChart;
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart_view_ = new QChartView(chart, this);
    chart_view_->setRenderHint(QPainter::Antialiasing);
    chart_view_->setMinimumHeight(180);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(summary_);
    layout->addWidget(chart_view_, 1);
    connect(state_, &ViewState::liveChanged, this, &ScoresPane::updateChart);
    updateChart();
}

void ScoresPane::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) updateChart();
}

void ScoresPane::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    // Whether the probabilities fit beside the names depends on the width.
    if (valuesFitInNames() != values_in_names_) updateChart();
}

bool ScoresPane::valuesFitInNames() const {
    const auto& texts = state_->texts();
    if (!texts) return false;
    const QFontMetrics fm(chart_view_->chart()->font());
    int widest = 0;
    for (const QString& l : texts->labels) widest = std::max(widest, fm.horizontalAdvance(l + " 0.00\u21920.00"));
    return widest < chart_view_->width() * 2 / 5;
}

void ScoresPane::setQuery(const QString& a, const QString& b, const QString& labels) {
    text_a_->setText(a);
    text_b_->setText(b);
    labels_->setText(labels);
}

QString ScoresPane::textA() const { return text_a_->text().trimmed(); }
QString ScoresPane::textB() const { return text_b_->text().trimmed(); }

QStringList ScoresPane::labels() const {
    QStringList out;
    for (const std::string& l : split_labels(labels_->text().toStdString())) out << QString::fromStdString(l);
    return out;
}

void ScoresPane::updateChart() {
    const LiveResult& live = state_->live();
    const auto& texts = state_->texts();
    QString summary;
    if (live.valid)
        summary = tr("cos(image, %1): %2 \u2192 %3 after ablation")
                      .arg(live.direction_label)
                      .arg(live.score_before, 0, 'f', 4)
                      .arg(live.score_after, 0, 'f', 4);
    summary_->setText(summary);

    QChart* chart = chart_view_->chart();
    chart->removeAllSeries();
    for (QAbstractAxis* axis : chart->axes()) {
        chart->removeAxis(axis);
        delete axis;
    }
    match_chart_theme(chart);
    if (!texts || live.probabilities_before.empty()) {
        chart->setTitle(tr("Zero-shot scores (enter labels)"));
        return;
    }
    // SigLIP scores each label on its own: sigmoid scores need not sum to 1.
    const bool sigmoid = state_->model() && state_->model()->scoring.rule == ScoreRule::Sigmoid;
    chart->setTitle(sigmoid ? tr("Sigmoid scores, per label") : tr("Zero-shot probabilities"));
    auto* before = new QBarSet(tr("unablated"));
    auto* after = new QBarSet(tr("ablated"));
    before->setColor(QColor(120, 140, 170));
    after->setColor(QColor(215, 95, 60));
    QStringList categories;
    // Horizontal bars list bottom-up: reverse so the first label is on top.
    // The values go in the category names ("circle 0.92→0.94") where the chart is wide enough
    // (else the names alone): labels at the bars' ends overlapped where two tiny probabilities
    // sit side by side. ("<0.01" would be taken for a rich-text tag and vanish.)
    values_in_names_ = valuesFitInNames();
    const auto probability = [](double p) {
        return p < 0.005 ? QStringLiteral("\u22480") : QString::number(p, 'f', 2);
    };
    for (int i = static_cast<int>(texts->labels.size()) - 1; i >= 0; --i) {
        const double b = live.probabilities_before[static_cast<size_t>(i)];
        const double a = live.probabilities_after[static_cast<size_t>(i)];
        categories << (values_in_names_ ? tr("%1 %2\u2192%3").arg(texts->labels[i], probability(b), probability(a))
                                        : texts->labels[i]);
        *before << b;
        *after << a;
    }
    auto* series = new QHorizontalBarSeries;
    series->append(before);
    series->append(after);
    chart->addSeries(series);
    auto* axis_y = new QBarCategoryAxis;
    axis_y->append(categories);
    // Qt Charts elides a category's name to "…" when its band is shorter than a line of text:
    // ask for room for every label (the dock scrolls or the others shrink instead).
    chart_view_->setMinimumHeight(std::clamp(110 + 26 * static_cast<int>(categories.size()), 180, 420));
    auto* axis_x = new QValueAxis;
    axis_x->setRange(0, 1);
    axis_x->setTickCount(3);  // 0, 0.5, 1, with unlabelled lines at the quarters: fits a narrow dock
    axis_x->setMinorTickCount(1);
    axis_x->setLabelFormat("%.1f");
    chart->addAxis(axis_y, Qt::AlignLeft);
    chart->addAxis(axis_x, Qt::AlignBottom);
    series->attachAxis(axis_y);
    series->attachAxis(axis_x);
}

}  // namespace clipscope::ui
