#include "session_file.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <algorithm>

namespace clipscope::ui {
namespace {
constexpr int kVersion = 1;
}

QString write_session(const QString& path, const SessionData& s) {
    QJsonObject o{{"clipscope_session", kVersion},
                  {"model", s.model},
                  {"vocabulary", s.vocabulary},
                  {"images", QJsonArray::fromStringList(s.images)},
                  {"current", s.current},
                  {"text_a", s.text_a},
                  {"text_b", s.text_b},
                  {"labels", s.labels},
                  {"ablate", s.ablate},
                  {"ablate_mlps", s.ablate_mlps},
                  {"head", s.head},
                  {"image_set", s.image_set},
                  {"map_source", s.map_source},
                  {"opacity", s.opacity},
                  {"segment", s.segment},
                  {"window_state", QString::fromLatin1(s.window_state.toBase64())}};
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) return path + ": " + file.errorString();
    file.write(QJsonDocument(o).toJson());
    if (!file.commit()) return path + ": " + file.errorString();
    return {};
}

QString read_session(const QString& path, SessionData& out) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return path + ": " + file.errorString();
    if (file.size() > (16 << 20)) return path + ": larger than 16 MB, not a session file";
    QJsonParseError parse;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parse);
    if (doc.isNull()) return path + ": not JSON (" + parse.errorString() + ")";
    const QJsonObject o = doc.object();
    if (!o.value("clipscope_session").isDouble())
        return path + ": not a ClipScope session (no \"clipscope_session\" version)";
    if (o.value("clipscope_session").toInt() > kVersion)
        return path + QString(": written by a newer ClipScope (session version %1, this one reads %2)")
                          .arg(o.value("clipscope_session").toInt())
                          .arg(kVersion);
    SessionData s;
    s.model = o.value("model").toString();
    s.vocabulary = o.value("vocabulary").toString();
    for (const QJsonValue& v : o.value("images").toArray()) s.images << v.toString();
    s.current = std::max(0, o.value("current").toInt());
    s.text_a = o.value("text_a").toString();
    s.text_b = o.value("text_b").toString();
    s.labels = o.value("labels").toString();
    s.ablate = o.value("ablate").toString();
    s.ablate_mlps = o.value("ablate_mlps").toString();
    s.head = o.value("head").toString();
    s.image_set = o.value("image_set").toString();
    s.map_source = o.value("map_source").toInt();
    s.opacity = o.value("opacity").toInt(55);
    s.segment = o.value("segment").toBool();
    s.window_state = QByteArray::fromBase64(o.value("window_state").toString().toLatin1());
    out = s;
    return {};
}

}  // namespace clipscope::ui
