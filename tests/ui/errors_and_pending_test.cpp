// Failures are reported once, root cause first, and leave when resolved; pending
// requests are visible in the view state until their result arrives; the user's request
// is answered while a long job runs, and the long job goes on after it.
#include <gtest/gtest.h>

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QWidget>

#include "analysis_worker.h"
#include "clipscope/base/resources.h"
#include "error_reporter.h"
#include "view_state.h"

namespace clipscope::ui {
namespace {

TEST(ErrorReporter, OneEntryPerFailureRootCauseFirstFollowOnsHidden) {
    QWidget window;  // never shown: the reporter keeps its list without a dialog
    ErrorReporter errors(&window);
    errors.report("Analysing the image", "cat.png: not an image");
    errors.report("Loading the model", "/m: no open_clip_config.json or config.json");
    errors.report("Embedding the texts", "no model is loaded");  // a consequence of the above
    const QStringList current = errors.current();
    ASSERT_EQ(current.size(), 2);
    EXPECT_TRUE(current[0].startsWith("Loading the model: /m")) << current[0].toStdString();
    EXPECT_TRUE(current[1].startsWith("Analysing the image")) << current[1].toStdString();
    errors.report("Analysing the image", "dog.png: not an image");  // the same job's newer failure replaces it
    EXPECT_EQ(errors.current().size(), 2);
    EXPECT_TRUE(errors.current()[1].contains("dog.png"));
    errors.resolved("Loading the model");
    errors.resolved("Analysing the image");
    EXPECT_TRUE(errors.current().isEmpty());
    EXPECT_FALSE(errors.dialogVisible());
    // Without a failed model, "no model is loaded" is the problem itself and is shown.
    errors.report("Embedding the texts", "no model is loaded");
    EXPECT_EQ(errors.current().size(), 1);
}

TEST(ViewState, PendingRequestsAreNamedUntilCleared) {
    ViewState state;
    QSignalSpy changed(&state, &ViewState::pendingChanged);
    EXPECT_FALSE(state.isPending());
    state.setPending("image", "Decomposing cat.png");
    state.setPending("texts", "Embedding the texts");
    EXPECT_TRUE(state.isPending());
    EXPECT_EQ(state.pendingText(), QString::fromUtf8("Decomposing cat.png \u00b7 Embedding the texts"));
    state.clearPending("image");
    state.clearPending("image");  // twice: one signal
    EXPECT_EQ(state.pendingText(), "Embedding the texts");
    state.clearPending("texts");
    EXPECT_FALSE(state.isPending());
    EXPECT_EQ(changed.count(), 4);
}

TEST(AnalysisWorker, AnImageAskedForDuringIndexingIsAnsweredFirstAndTheIndexGoesOn) {
    QTemporaryDir cache;
    AnalysisWorker w;
    QSignalSpy loaded(&w, &AnalysisWorker::modelLoaded), analysed(&w, &AnalysisWorker::imageAnalysed),
        ready(&w, &AnalysisWorker::imageSetReady), progress(&w, &AnalysisWorker::progress),
        failed(&w, &AnalysisWorker::failed);
    w.loadModel(QString::fromStdString(demo_model_directory()));
    w.indexImageSet("demo:", cache.path());  // posted at once: it must wait for the model
    // Let the long job get going (generating the world, then indexing it).
    while (progress.count() < 3 && ready.count() == 0 && failed.count() == 0) ASSERT_TRUE(progress.wait(60000));
    ASSERT_EQ(failed.count(), 0) << failed.value(0).value(1).toString().toStdString();
    ASSERT_EQ(loaded.count(), 1);
    ASSERT_EQ(ready.count(), 0) << "the demo set indexed too fast to test pre-emption";
    w.analyseImage(QString::fromStdString(demo_image_paths().front()));
    ASSERT_TRUE(analysed.count() == 1 || analysed.wait(60000));
    EXPECT_EQ(ready.count(), 0) << "the image waited for the whole index";
    const int progress_at_image = progress.count();
    while (ready.count() == 0 && failed.count() == 0) ASSERT_TRUE(ready.wait(120000));
    EXPECT_EQ(failed.count(), 0);
    EXPECT_GT(progress.count(), progress_at_image);  // the index went on after the image
}

}  // namespace
}  // namespace clipscope::ui
