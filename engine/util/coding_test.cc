#include "util/coding.h"

#include "gtest/gtest.h"
#include "kiln/random.h"

namespace kiln {
namespace {

TEST(CodingTest, FixedRoundTripIsLittleEndian) {
  std::string out;
  PutFixed32(out, 0x04030201);
  PutFixed64(out, 0x0807060504030201ULL);
  EXPECT_EQ(out.substr(0, 4), std::string("\x01\x02\x03\x04", 4));
  std::string_view in = out;
  uint32_t a = 0;
  uint64_t b = 0;
  ASSERT_TRUE(GetFixed32(in, a));
  ASSERT_TRUE(GetFixed64(in, b));
  EXPECT_EQ(a, 0x04030201u);
  EXPECT_EQ(b, 0x0807060504030201ULL);
  EXPECT_TRUE(in.empty());
  EXPECT_FALSE(GetFixed32(in, a));
}

TEST(CodingTest, VarintRoundTripsAcrossWidths) {
  Random random(1);
  std::string out;
  std::vector<uint64_t> values = {0, 1, 127, 128, 16383, 16384, UINT32_MAX, UINT64_MAX};
  for (int i = 0; i < 1000; ++i) values.push_back(random.Next() >> random.Uniform(64));
  for (uint64_t v : values) {
    const size_t before = out.size();
    PutVarint64(out, v);
    EXPECT_EQ(out.size() - before, VarintLength(v));
  }
  std::string_view in = out;
  for (uint64_t v : values) {
    uint64_t decoded = 0;
    ASSERT_TRUE(GetVarint64(in, decoded));
    EXPECT_EQ(decoded, v);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, MalformedVarintsAreRejectedWithoutOverrun) {
  uint64_t v64 = 0;
  uint32_t v32 = 0;
  std::string_view truncated("\x80\x80", 2);
  EXPECT_FALSE(GetVarint64(truncated, v64));
  std::string_view too_long("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 10);
  EXPECT_FALSE(GetVarint64(too_long, v64));
  std::string big;
  PutVarint64(big, uint64_t{1} << 40);
  std::string_view big_view = big;
  EXPECT_FALSE(GetVarint32(big_view, v32));
  EXPECT_EQ(big_view.size(), big.size());  // unconsumed on failure
}

TEST(CodingTest, LengthPrefixed) {
  std::string out;
  PutLengthPrefixed(out, "hello");
  PutLengthPrefixed(out, "");
  std::string_view in = out, a, b;
  ASSERT_TRUE(GetLengthPrefixed(in, a));
  ASSERT_TRUE(GetLengthPrefixed(in, b));
  EXPECT_EQ(a, "hello");
  EXPECT_EQ(b, "");
  std::string lying;
  PutVarint32(lying, 100);
  lying += "short";
  std::string_view lying_view = lying;
  EXPECT_FALSE(GetLengthPrefixed(lying_view, a));
}

}  // namespace
}  // namespace kiln
