#include "bus/events.hpp"

#include <gtest/gtest.h>

namespace kai::bus {
namespace {

TEST(EventHeaderTest, RoundTrip) {
  Event e;
  ASSERT_TRUE(decode_event_header(encode_event_header("membership", 17, 1234), e).ok());
  EXPECT_EQ(e.publisher, "membership");
  EXPECT_EQ(e.seq, 17u);
  EXPECT_EQ(e.time_ms, 1234);
  Event bad;
  EXPECT_FALSE(decode_event_header("junk", bad).ok());
}

TEST(SequenceTrackerTest, ApplyDuplicateGap) {
  SequenceTracker t;
  EXPECT_EQ(t.observe("m", 1).verdict, SequenceTracker::Verdict::apply);
  t.set_last_applied("m", 1);
  EXPECT_EQ(t.observe("m", 1).verdict, SequenceTracker::Verdict::duplicate);
  EXPECT_EQ(t.observe("m", 2).verdict, SequenceTracker::Verdict::apply);
  auto gap = t.observe("m", 5);
  EXPECT_EQ(gap.verdict, SequenceTracker::Verdict::gap);
  EXPECT_EQ(gap.first_missing, 2u);
  // Publishers are independent.
  EXPECT_EQ(t.observe("clubs", 1).verdict, SequenceTracker::Verdict::apply);
}

TEST(SequenceTrackerTest, HeadBeaconRevealsLostTail) {
  SequenceTracker t;
  t.set_last_applied("m", 10);
  EXPECT_EQ(t.observe_head("m", 10).verdict, SequenceTracker::Verdict::duplicate);
  auto gap = t.observe_head("m", 12);
  EXPECT_EQ(gap.verdict, SequenceTracker::Verdict::gap);
  EXPECT_EQ(gap.first_missing, 11u);
  EXPECT_TRUE(is_head_beacon(head_topic("m")));
  EXPECT_FALSE(is_head_beacon("m.organization.changed"));
}

}  // namespace
}  // namespace kai::bus
