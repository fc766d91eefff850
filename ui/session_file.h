#pragma once
// Session files (JSON): what a user set up, so it can be reopened or shared — model,
// images, texts, ablated heads and MLPs, selected head, image set, overlay settings,
// pane layout. Written with QSaveFile (temporary file + rename): never half-written.
#include <QByteArray>
#include <QString>
#include <QStringList>

namespace clipscope::ui {

struct SessionData {
    QString model;       // "" = the bundled demo model
    QString vocabulary;  // tokenizer file chosen for a model without one ("" = none chosen)
    QStringList images;
    int current = 0;
    QString text_a, text_b, labels;
    QString ablate;       // "L.H,L.H"
    QString ablate_mlps;  // "L,L"
    QString head;         // "L.H" or "L.MLP"; "" = none
    QString image_set;    // "demo:", a folder, or ""
    int map_source = 0;
    int opacity = 55;
    bool segment = false;
    QByteArray window_state;  // QMainWindow::saveState
};

// Returns "" on success, else a message naming the file and the problem.
QString write_session(const QString& path, const SessionData& session);
QString read_session(const QString& path, SessionData& session);

}  // namespace clipscope::ui
