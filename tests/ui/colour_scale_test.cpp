// The signed colour map and its range: zero is neutral, the two ends mirror each other,
// ticks are round and symmetric, and the range follows the rules of SignedScale.
#include <gtest/gtest.h>

#include <cmath>

#include "colour_bar.h"
#include "colour_maps.h"
#include "signed_scale.h"

namespace clipscope::ui {
namespace {

double lightness(const QColor& c) { return c.lightnessF(); }

TEST(ColourMap, ZeroIsNeutralAndTheEndsMirrorEachOther) {
    EXPECT_EQ(diverging_colour(0.0), QColor(247, 247, 247));
    EXPECT_EQ(diverging_colour(1.0), QColor(103, 0, 31));
    EXPECT_EQ(diverging_colour(-1.0), QColor(5, 48, 97));
    EXPECT_EQ(diverging_colour(7.0), diverging_colour(1.0));  // clamped
    EXPECT_EQ(diverging_colour(std::nan("")), diverging_colour(0.0));
    for (double t = 0.1; t <= 1.0; t += 0.1) {
        const QColor pos = diverging_colour(t), neg = diverging_colour(-t);
        EXPECT_GT(pos.red(), pos.blue()) << t;  // red side
        EXPECT_GT(neg.blue(), neg.red()) << t;  // blue side
        EXPECT_NEAR(lightness(pos), lightness(neg), 0.09) << t;
        EXPECT_LT(lightness(diverging_colour(t)), lightness(diverging_colour(t - 0.1)) + 1e-9) << t;
    }
    EXPECT_EQ(readable_text_on(diverging_colour(1.0)), QColor(250, 250, 250));
    EXPECT_EQ(readable_text_on(diverging_colour(0.0)), QColor(20, 20, 20));
}

TEST(ColourMap, TicksAreRoundSymmetricAndInsideTheRange) {
    const std::vector<double> t = symmetric_ticks(0.154, 7);
    ASSERT_EQ(t.size(), 7u);
    for (size_t i = 0; i < t.size(); ++i) {
        EXPECT_NEAR(t[i], -0.15 + 0.05 * static_cast<double>(i), 1e-12);
        EXPECT_NEAR(t[i], -t[t.size() - 1 - i], 1e-15);
    }
    EXPECT_EQ(symmetric_ticks(0.0123, 5).size(), 5u);  // -0.01, -0.005, 0, 0.005, 0.01
    EXPECT_EQ(symmetric_ticks(0.0123, 3).size(), 3u);  // -0.01, 0, 0.01
    for (double range : {3e-5, 0.7, 1.0, 42.0})
        for (double v : symmetric_ticks(range, 9)) EXPECT_LE(std::fabs(v), range * (1 + 1e-9)) << range;
    EXPECT_TRUE(symmetric_ticks(0.0, 7).empty());
    EXPECT_EQ(tick_text(0.0), "0");
    EXPECT_EQ(tick_text(-0.05), "-0.05");
}

TEST(SignedScale, PerSubjectKeepsTheRangeUntilTheSubjectChanges) {
    SignedScale s;
    EXPECT_TRUE(s.observe(0.2, true));
    EXPECT_DOUBLE_EQ(s.range(), 0.2);
    EXPECT_FALSE(s.observe(0.05, false));  // an ablation: same subject, same colours
    EXPECT_DOUBLE_EQ(s.range(), 0.2);
    s.observe(0.05, true);
    EXPECT_DOUBLE_EQ(s.range(), 0.05);
    s.setMode(SignedScale::Mode::Auto);
    s.observe(0.3, false);
    EXPECT_DOUBLE_EQ(s.range(), 0.3);
    s.setFixed(0.5);
    EXPECT_EQ(s.mode(), SignedScale::Mode::Fixed);
    s.observe(0.01, true);
    EXPECT_DOUBLE_EQ(s.range(), 0.5);
    s.setFixed(-1);  // ignored
    EXPECT_DOUBLE_EQ(s.range(), 0.5);
    s.setMode(SignedScale::Mode::PerSubject);
    s.observe(0.0, true);  // an all-zero map still gets a usable range
    EXPECT_GT(s.range(), 0.0);
}

}  // namespace
}  // namespace clipscope::ui
