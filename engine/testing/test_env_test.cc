#include "testing/test_env.h"

#include "kiln/status.h"

namespace kiln::testing {
namespace {

class TestEnvTest : public EnvTest {};

TEST_P(TestEnvTest, DirectoryIsFreshAndUsable) {
  RunInEnv([&] {
    auto names = env().file_system->ListDir(dir());
    ASSERT_TRUE(names.ok()) << names.status();
    EXPECT_TRUE(names->empty());
    auto file = env().file_system->OpenFile(Path("a"), OpenMode::kCreateNew);
    ASSERT_TRUE(file.ok()) << file.status();
    ASSERT_TRUE((*file)->Append("hello").ok());
    ASSERT_TRUE((*file)->Sync().ok());
    EXPECT_EQ(*env().file_system->FileSize(Path("a")), 5u);
  });
}

TEST_P(TestEnvTest, BackgroundTasksAndLocksWork) {
  RunInEnv([&] {
    std::unique_ptr<Mutex> mutex = env().scheduler->NewMutex();
    int counter = 0;
    std::vector<std::unique_ptr<Task>> tasks;
    for (int t = 0; t < 4; ++t) {
      tasks.push_back(env().scheduler->Spawn("worker", [&] {
        for (int i = 0; i < 100; ++i) {
          MutexLock lock(*mutex);
          ++counter;
        }
      }));
    }
    for (auto& task : tasks) task->Join();
    EXPECT_EQ(counter, 400);
  });
}

KILN_INSTANTIATE_ENV_TEST(TestEnvTest);

}  // namespace
}  // namespace kiln::testing
