// The "Get a model" dialog: lists the cache (loadable entries open by spec,
// broken ones say why), offers the curated models, and downloads through the
// fake hub on its own thread, then shows the new entry.
#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <cstdlib>
#include <filesystem>

#include "clipscope/model/clip_model.h"
#include "clipscope/hub/hf_download.h"
#include "fake_hub_process.h"
#include "model_hub_dialog.h"

namespace clipscope::ui {
namespace {
namespace fs = std::filesystem;

QStringList tree_texts(QTreeWidget* tree) {
    QStringList out;
    for (QTreeWidgetItemIterator it(tree); *it; ++it) out << (*it)->text(0) + " | " + (*it)->text(3);
    return out;
}

TEST(ModelHubDialog, ListsCacheAndDownloadsFromTheHub) {
    QTemporaryDir dir;
    const std::string root = dir.path().toStdString();
    const ClipConfig config = builtin_architecture("tiny");
    write_checkpoint(root + "/server/repos/acme/tiny-clip", ModelFormat::OpenClipSafetensors, config,
                     random_state_dict(config, 9));
    test::FakeHub hub(root + "/server");
    if (!hub.running()) GTEST_SKIP() << "python3 is needed for the fake hub";
    hub.set_control(nlohmann::json::object());
    // A cache entry whose weights were deleted: listed, not loadable, with the reason.
    const fs::path broken = fs::path(root) / "cache" / "models--acme--broken" / "snapshots" / std::string(40, 'c');
    fs::create_directories(broken);
    fs::create_symlink("../../blobs/gone", broken / "open_clip_model.safetensors");
    ::setenv("HF_HUB_CACHE", (root + "/cache").c_str(), 1);
    ::setenv("HF_ENDPOINT", hub.endpoint().c_str(), 1);
    ::unsetenv("HF_HUB_OFFLINE");

    ModelHubDialog dialog;
    auto* tree = dialog.findChild<QTreeWidget*>();
    auto* curated = dialog.findChild<QTableWidget*>();
    ASSERT_TRUE(tree && curated);
    EXPECT_EQ(curated->rowCount(), static_cast<int>(curated_models().size()));
    EXPECT_TRUE(tree_texts(tree).join('\n').contains("acme/broken")) << tree_texts(tree).join('\n').toStdString();

    QSignalSpy finished(&dialog, &ModelHubDialog::downloadFinished);
    QSignalSpy chosen(&dialog, &ModelHubDialog::modelChosen);
    dialog.startDownload("acme/tiny-clip", "main");
    EXPECT_TRUE(dialog.downloading());
    ASSERT_TRUE(finished.wait(30000));
    EXPECT_TRUE(finished.first().at(0).toBool()) << finished.first().at(1).toString().toStdString();
    EXPECT_FALSE(dialog.downloading());

    // The new entry is listed as loadable and opens by its hf-hub spec.
    QTreeWidgetItem* loadable = nullptr;
    for (QTreeWidgetItemIterator it(tree); *it; ++it)
        if ((*it)->data(0, Qt::UserRole).toString() == "hf-hub:acme/tiny-clip@main") loadable = *it;
    ASSERT_NE(loadable, nullptr) << tree_texts(tree).join('\n').toStdString();
    tree->setCurrentItem(loadable);
    loadable->setSelected(true);
    Q_EMIT tree->itemDoubleClicked(loadable, 0);
    ASSERT_EQ(chosen.count(), 1);
    EXPECT_EQ(chosen.first().at(0).toString(), "hf-hub:acme/tiny-clip@main");

    // A failing download reports the hub's answer and leaves the dialog usable.
    dialog.startDownload("acme/absent", "main");
    ASSERT_TRUE(finished.wait(30000));
    EXPECT_FALSE(finished.last().at(0).toBool());
    EXPECT_TRUE(finished.last().at(1).toString().contains("404"));

    if (const char* shots = std::getenv("CLIPSCOPE_SCREENSHOT_DIR")) {
        dialog.show();
        dialog.grab().save(QString::fromLocal8Bit(shots) + "/get-a-model.png");
    }
    for (const char* v : {"HF_HUB_CACHE", "HF_ENDPOINT"}) ::unsetenv(v);
}

}  // namespace
}  // namespace clipscope::ui
