// clipscope: the desktop app. Wiring only: settings identity, logging, command line,
// the window; every pane lives in ui/, every computation in core/.
#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>
#include <QScreen>
#include <QTimer>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "clipscope/base/error.h"
#include "clipscope/base/process_setup.h"
#include "clipscope/model/clip_model.h"
#include "analysis_worker.h"
#include "figure_panes.h"
#include "figure_export.h"
#include "main_window.h"
#include "palette.h"

int main(int argc, char** argv) {
    clipscope::prepare_process(argc, argv);  // first: it may re-execute the program (see process_setup.h)
    // --version answers without a display (QApplication needs one, packaging checks do not have one).
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], "--version") == 0 || std::strcmp(argv[i], "-v") == 0) {
            std::printf("ClipScope %s\n", CLIPSCOPE_VERSION);
            return 0;
        }
    // Messages go to stderr as "clipscope: ..." (core's log lines too), as the CLI's do.
    spdlog::set_default_logger(spdlog::stderr_color_mt("clipscope"));
    spdlog::set_pattern("clipscope: %v");
    QApplication app(argc, argv);
    QApplication::setOrganizationName("ClipScope");
    QApplication::setApplicationName("ClipScope");
    QApplication::setApplicationVersion(CLIPSCOPE_VERSION);
    QApplication::setDesktopFileName("io.github.clipscope.ClipScope");

    QCommandLineParser parser;
    parser.setApplicationDescription(
        "ClipScope: see inside CLIP vision transformers (text-based decomposition of the image representation).");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(
        "images", "Images or folders of images to open (default: the demo images with the demo model).", "[IMAGE...]");
    const QCommandLineOption model(
        {"m", "model"}, "Model: folder, .pt file, hf-hub:ORG/NAME or random:ARCH (default: the bundled demo model).",
        "M");
    const QCommandLineOption device("device", "cpu or cuda:N.", "D", "cpu");
    const QCommandLineOption vocab("vocab",
                                   "Tokenizer vocabulary for a model shipped without one (vocab.json beside "
                                   "merges.txt, or bpe_simple_vocab_16e6.txt.gz).",
                                   "FILE");
    const QCommandLineOption text("text", "Text A: the map and the grid colours show what pushes the image toward it.",
                                  "T");
    const QCommandLineOption text_b("text-b", "Text B: show A rather than B.", "T");
    const QCommandLineOption labels("labels", "Zero-shot labels, comma-separated.", "L1,L2,...");
    const QCommandLineOption head("head", "Select a head.", "L.H");
    const QCommandLineOption ablate("ablate", "Ablate heads (zero-ablation).", "L.H,...");
    const QCommandLineOption export_figure("export-figure",
                                           "Export a pane once all work is done: PANE is " +
                                               clipscope::ui::figure_pane_names_text() +
                                               "; the format follows FILE's extension (.png, .svg, .pdf). Repeatable.",
                                           "PANE=FILE");
    const QCommandLineOption export_data("export-data",
                                         "Write the data behind the panes (view.json, heads.csv, scores.csv, map.npy, "
                                         "neighbours.csv) into DIR once all work is done.",
                                         "DIR");
    const QCommandLineOption quit("quit-after-export", "Quit after the exports (exit code 1 if anything failed).");
    // Not "--session": QGuiApplication takes -session/--session for X11 session management before we see it.
    const QCommandLineOption session("session-file", "Open a session file (saved with File \u2192 Save session).",
                                     "FILE");
    const QCommandLineOption palette("palette", "light or dark (default: as last chosen in View \u2192 Dark palette).",
                                     "P");
    const QCommandLineOption export_scale(
        "export-scale", "Figures as drawn at S pixels per logical pixel (96 x S dpi; default 2).", "S");
    const QCommandLineOption export_width(
        "export-width", "Figures scaled to a printed width with the caption: 89mm, 3.5in, 8.9cm or 1200px.", "W");
    const QCommandLineOption export_dpi("export-dpi",
                                        "Resolution of PNG figures (and of images inside PDFs), 72 to 1200 (default "
                                        "192, or 96 x --export-scale).",
                                        "DPI");
    const QCommandLineOption window_size("window-size",
                                         "The window's size in logical pixels, WxH, or 'screen' to fit the screen "
                                         "(default: fit the screen; 1400x900 with --quit-after-export).",
                                         "SIZE");
    const QCommandLineOption allow_unknown(
        "allow-unknown-config-fields",
        "Load a model whose config has fields ClipScope does not know; each is named in every caption and export.");
    const QCommandLineOption text_embeddings(
        "text-embeddings",
        "Texts' embeddings [N, E] .npy used instead of the text tower (e.g. for a vision-only checkpoint); needs "
        "--texts.",
        "T.npy");
    const QCommandLineOption texts("texts", "With --text-embeddings: one text per line, line i naming row i.", "FILE");
    const QCommandLineOption threads("threads", "Compute threads (0 = all cores).", "N", "0");
    parser.addOptions(
        {model,       device,        vocab,           text,  text_b,  labels,       head,         ablate,
         session,     export_figure, export_data,     quit,  palette, export_scale, export_width, export_dpi,
         window_size, allow_unknown, text_embeddings, texts, threads});
    parser.process(app);

    {
        bool ok = false;
        const int n = parser.value(threads).toInt(&ok);
        try {
            if (!ok)
                clipscope::throw_usage("--threads takes a whole number, got '" + parser.value(threads).toStdString() +
                                       "'");
            clipscope::configure_threads(n);
            clipscope::ui::AnalysisWorker::spatialBudgetFromEnvironment();  // refused here, not in a worker
        } catch (const clipscope::Error& e) {
            spdlog::error("{}", e.what());
            return 2;
        }
    }
    clipscope::ui::StartupOptions o;
    o.model = parser.value(model);
    o.device = parser.value(device);
    o.vocabulary = parser.value(vocab);
    o.allow_unknown_config_fields = parser.isSet(allow_unknown);
    o.text_files = {parser.value(text_embeddings), parser.value(texts)};
    if (o.text_files.embeddings.isEmpty() != o.text_files.texts.isEmpty()) {
        spdlog::error("--text-embeddings and --texts come together (line i of --texts names row i)");
        return 2;
    }
    // A session file given like an image (as the desktop entry's %F does) opens as a session.
    for (const QString& arg : parser.positionalArguments())
        if (arg.endsWith(".clipscope.json") && !parser.isSet(session))
            o.session = arg;
        else
            o.images << arg;
    o.text_a = parser.value(text);
    o.text_b = parser.value(text_b);
    o.labels = parser.value(labels);
    o.labels_given = parser.isSet(labels);
    o.head = parser.value(head);
    o.ablate = parser.value(ablate);
    if (parser.isSet(session)) o.session = parser.value(session);
    for (const QString& item : parser.values(export_figure)) {
        const int eq = item.indexOf('=');
        if (eq <= 0 || !clipscope::ui::figure_pane_names().contains(item.left(eq))) {
            spdlog::error("--export-figure takes PANE=FILE with PANE one of {}, got '{}'",
                          clipscope::ui::figure_pane_names().join(", ").toStdString(), item.toStdString());
            return 2;
        }
        o.exports.append({item.left(eq), item.mid(eq + 1)});
    }
    o.export_data = parser.value(export_data);
    o.quit_after_export = parser.isSet(quit);
    if (o.quit_after_export && o.exports.isEmpty() && o.export_data.isEmpty()) {
        spdlog::error("--quit-after-export needs --export-figure or --export-data");
        return 2;
    }

    if (parser.isSet(export_scale)) {
        bool ok = false;
        const double scale = parser.value(export_scale).toDouble(&ok);
        if (!ok || !(scale >= 0.25 && scale <= 8.0)) {
            spdlog::error("--export-scale takes a number from 0.25 to 8, got '{}'",
                          parser.value(export_scale).toStdString());
            return 2;
        }
        o.export_size = clipscope::ui::export_size_for_scale(scale);
    }
    if (parser.isSet(export_dpi)) {
        bool ok = false;
        const int dpi = parser.value(export_dpi).toInt(&ok);
        if (parser.isSet(export_scale)) {
            spdlog::error("--export-dpi and --export-scale both set the resolution: give one");
            return 2;
        }
        if (!ok || dpi < 72 || dpi > 1200) {
            spdlog::error("--export-dpi takes a whole number from 72 to 1200, got '{}'",
                          parser.value(export_dpi).toStdString());
            return 2;
        }
        o.export_size.dpi = dpi;
    }
    if (parser.isSet(export_width)) {
        QString problem;
        const auto inches = clipscope::ui::parse_export_width(parser.value(export_width), o.export_size.dpi, &problem);
        if (!inches) {
            spdlog::error("--export-width: {}", problem.toStdString());
            return 2;
        }
        o.export_size.width_inches = *inches;
    }
    const QString palette_name = parser.isSet(palette)
                                     ? parser.value(palette)
                                     : (QSettings().value("darkPalette", false).toBool() ? "dark" : "light");
    if (palette_name != "light" && palette_name != "dark") {
        spdlog::error("--palette takes light or dark, got '{}'", palette_name.toStdString());
        return 2;
    }
    clipscope::ui::apply_palette(palette_name == "dark");

    // Figures from scripts get a fixed, reproducible size; otherwise the window fits the screen at
    // any scale factor (logical pixels of the available area).
    QString size_text = parser.isSet(window_size) ? parser.value(window_size) : QString();
    if (size_text.isEmpty()) size_text = o.quit_after_export ? "1400x900" : "screen";
    QSize size;
    if (size_text == "screen") {
        size = clipscope::ui::initial_window_size(
            QGuiApplication::primaryScreen() ? QGuiApplication::primaryScreen()->availableGeometry().size() : QSize());
    } else {
        const QStringList wh = size_text.split('x');
        bool ok_w = false, ok_h = false;
        if (wh.size() == 2) size = QSize(wh[0].toInt(&ok_w), wh[1].toInt(&ok_h));
        if (!ok_w || !ok_h || size.width() < 320 || size.height() < 240 || size.width() > 16384 ||
            size.height() > 16384) {
            spdlog::error("--window-size takes WxH (320x240 to 16384x16384) or 'screen', got '{}'",
                          size_text.toStdString());
            return 2;
        }
    }
    clipscope::ui::MainWindow window;
    window.resize(size);
    int exit_code = 0;
    QObject::connect(&window, &clipscope::ui::MainWindow::exportsDone, &app, [&](int code) {
        exit_code = code;
        if (o.quit_after_export) QTimer::singleShot(0, &app, [&] { app.exit(code); });
    });
    window.show();
    window.start(o);
    const int rc = app.exec();
    return o.quit_after_export ? exit_code : rc;
}
