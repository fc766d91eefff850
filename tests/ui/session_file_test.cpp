// Session files round-trip every field, are written whole (no temporary left behind), and
// bad files are refused with a message naming them.
#include <gtest/gtest.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>

#include "session_file.h"
#include "textspan_labels.h"

namespace clipscope::ui {
namespace {

QString write_file(const QTemporaryDir& dir, const QString& name, const QByteArray& bytes) {
    QFile f(dir.filePath(name));
    f.open(QIODevice::WriteOnly);
    f.write(bytes);
    return dir.filePath(name);
}

TEST(SessionFile, RoundTripsAndRefusesBadFiles) {
    QTemporaryDir dir;
    SessionData s;
    s.model = "/models/ViT-B-16";
    s.vocabulary = "/models/clip/vocab.json";
    s.images = {"/a.png", "/b c.png"};
    s.current = 1;
    s.text_a = "a photo of a dog";
    s.text_b = "a beach";
    s.labels = "dog, cat";
    s.ablate = "11.3,10.2";
    s.ablate_mlps = "4";
    s.head = "11.3";
    s.image_set = "/data/val";
    s.map_source = 1;
    s.opacity = 70;
    s.segment = true;
    s.window_state = QByteArray("\x00\x01\xff layout", 10);
    const QString path = dir.filePath("s.clipscope.json");
    ASSERT_EQ(write_session(path, s), "");
    SessionData r;
    ASSERT_EQ(read_session(path, r), "");
    EXPECT_EQ(r.model, s.model);
    EXPECT_EQ(r.vocabulary, s.vocabulary);
    EXPECT_EQ(r.images, s.images);
    EXPECT_EQ(r.current, 1);
    EXPECT_EQ(r.text_a, s.text_a);
    EXPECT_EQ(r.text_b, s.text_b);
    EXPECT_EQ(r.labels, s.labels);
    EXPECT_EQ(r.ablate, s.ablate);
    EXPECT_EQ(r.ablate_mlps, s.ablate_mlps);
    EXPECT_EQ(r.head, s.head);
    EXPECT_EQ(r.image_set, s.image_set);
    EXPECT_EQ(r.map_source, 1);
    EXPECT_EQ(r.opacity, 70);
    EXPECT_TRUE(r.segment);
    EXPECT_EQ(r.window_state, s.window_state);
    EXPECT_EQ(QDir(dir.path()).entryList(QDir::Files).size(), 1);

    auto write = [&](const QString& name, const QByteArray& bytes) { return write_file(dir, name, bytes); };
    for (const auto& [name, bytes] :
         std::vector<std::pair<QString, QByteArray>>{{"empty.json", ""},
                                                     {"text.json", "hello"},
                                                     {"other.json", "{\"heads\": []}"},
                                                     {"newer.json", "{\"clipscope_session\": 99}"}}) {
        const QString error = read_session(write(name, bytes), r);
        EXPECT_TRUE(error.contains(name)) << error.toStdString();
    }
    EXPECT_TRUE(read_session(dir.filePath("missing.json"), r).contains("missing.json"));
    EXPECT_NE(write_session(dir.filePath("no/such/dir/s.json"), s), "");
}

// TextSpan results for head labels: bad files are refused with a message naming them and
// leave the caller's labels as they were.
TEST(TextSpanLabels, BadFilesAreRefusedAndLeaveLabelsAlone) {
    QTemporaryDir dir;
    HeadLabels labels;
    labels[{1, 2}].texts = {"kept"};
    QString error;
    auto write = [&](const QString& name, const QByteArray& bytes) { return write_file(dir, name, bytes); };
    for (const auto& [name, bytes] : std::vector<std::pair<QString, QByteArray>>{
             {"empty.json", ""},
             {"text.json", "not json"},
             {"noheads.json", "{\"model\": 1}"},
             {"matrix.json", "{\"heads\": [{\"layer\": null, \"head\": null, \"texts\": []}]}"}}) {
        EXPECT_FALSE(read_textspan_labels(write(name, bytes), labels, error)) << name.toStdString();
        EXPECT_TRUE(error.contains(name)) << error.toStdString();
    }
    EXPECT_FALSE(read_textspan_labels(dir.filePath("missing.json"), labels, error));
    EXPECT_TRUE(error.contains("missing.json"));
    EXPECT_EQ(labels.size(), 1);
    EXPECT_EQ(labels.value({1, 2}).texts, QStringList{"kept"});

    const QString good = write("good.json",
                               "{\"heads\": [{\"layer\": 3, \"head\": 1, \"total_variance_explained\": 0.5,"
                               " \"texts\": [{\"text\": \"red\", \"variance_explained\": 0.3}, {\"text\": \"water\", "
                               "\"variance_explained\": 0.2}]}]}");
    ASSERT_TRUE(read_textspan_labels(good, labels, error)) << error.toStdString();
    EXPECT_EQ(labels.size(), 1);
    EXPECT_EQ(labels.value({3, 1}).texts, (QStringList{"red", "water"}));
    EXPECT_DOUBLE_EQ(labels.value({3, 1}).variance.at(1), 0.2);
    EXPECT_DOUBLE_EQ(labels.value({3, 1}).total_variance, 0.5);

    // Another model's result would label the wrong heads: refused when the model is known.
    HeadLabels fresh;
    EXPECT_TRUE(read_textspan_labels(good, fresh, error, "custom", 4, 2)) << error.toStdString();
    EXPECT_FALSE(read_textspan_labels(good, fresh, error, "custom", 3, 2));  // no layer 3
    EXPECT_TRUE(error.contains("good.json") && error.contains("layer 3, head 1")) << error.toStdString();
    const QString b16 =
        write("b16.json",
              "{\"model\": {\"spec\": \"m\", \"format\": \"f\", \"architecture\": \"ViT-B-16\"},"
              " \"heads\": [{\"layer\": 0, \"head\": 0, \"total_variance_explained\": 0, \"texts\": []}]}");
    EXPECT_FALSE(read_textspan_labels(b16, fresh, error, "ViT-B-32", 12, 12));
    EXPECT_TRUE(error.contains("a ViT-B-16 model, not of ViT-B-32")) << error.toStdString();
}

}  // namespace
}  // namespace clipscope::ui
