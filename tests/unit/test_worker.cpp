/* gws::Worker (signaling/common/gws-worker.h), the one worker-thread class
 * of the session loop and the signallers: no thread before start(), work
 * posted while stopped is dropped (not run at the next start), stop() runs
 * what is queued, run_sync() from the thread itself does not deadlock, and
 * shutdown()/stop() on the worker's own thread neither join themselves
 * nor leave the thread behind. Every wait has a timeout. */
#include "common/gws-worker.h"

#include <dirent.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

int
thread_count() {
  int n = 0;
  DIR *dir = opendir("/proc/self/task");
  if (!dir)
    return -1;
  while (struct dirent *e = readdir(dir)) {
    if (e->d_name[0] != '.')
      n++;
  }
  closedir(dir);
  return n;
}

/* Waits (bounded) until the thread count is @n; thread exit is observed
 * after join only, so this returns at once when things are right. */
bool
wait_thread_count(int n, std::chrono::milliseconds limit = 5000ms) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (thread_count() != n) {
    if (std::chrono::steady_clock::now() > end)
      return false;
    std::this_thread::yield();
  }
  return true;
}

struct Flag {
  std::mutex m;
  std::condition_variable cv;
  bool set = false;
  void raise() {
    std::lock_guard<std::mutex> g(m);
    set = true;
    cv.notify_all();
  }
  bool wait(std::chrono::milliseconds limit = 5000ms) {
    std::unique_lock<std::mutex> lk(m);
    return cv.wait_for(lk, limit, [this] { return set; });
  }
};

TEST(Worker, NoThreadBeforeStart) {
  int before = thread_count();
  {
    gws::Worker worker("test-worker");
    EXPECT_EQ(thread_count(), before);
    EXPECT_FALSE(worker.running());
    worker.start();
    EXPECT_TRUE(worker.running());
    EXPECT_EQ(thread_count(), before + 1);
    worker.stop();
    EXPECT_EQ(thread_count(), before);
    EXPECT_FALSE(worker.running());
  }
  EXPECT_EQ(thread_count(), before);
}

TEST(Worker, PostWhileStoppedIsDropped) {
  gws::Worker worker("test-worker");
  std::atomic<int> ran{0};
  /* Never started. */
  EXPECT_FALSE(worker.post([&]() { ran++; }));
  worker.start();
  worker.stop();
  /* Stopped after a run. */
  EXPECT_FALSE(worker.post([&]() { ran++; }));
  worker.start();
  /* What ran at this start would show up here: run_sync waits behind it. */
  worker.run_sync([]() {});
  EXPECT_EQ(ran.load(), 0);
  EXPECT_TRUE(worker.post([&]() { ran++; }));
  worker.stop();
  EXPECT_EQ(ran.load(), 1);
}

TEST(Worker, DroppedWorkIsReleased) {
  gws::Worker worker("test-worker");
  auto held = std::make_shared<int>(1);
  std::weak_ptr<int> weak = held;
  worker.post([held]() {});
  held.reset();
  EXPECT_TRUE(weak.expired());
}

TEST(Worker, StopRunsWhatIsQueuedInOrder) {
  gws::Worker worker("test-worker");
  worker.start();
  std::vector<int> order;
  Flag gate;
  /* Hold the thread so that everything below is queued at stop(). */
  worker.post([&]() { gate.wait(); });
  for (int i = 0; i < 5; i++)
    worker.post([&order, &worker, i]() {
      order.push_back(i);
      /* Work the queued work posts from the thread still runs. */
      if (i == 4)
        worker.post([&order]() { order.push_back(5); });
    });
  std::thread release([&]() { gate.raise(); });
  worker.stop();
  release.join();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

TEST(Worker, RunSyncFromAnyThread) {
  gws::Worker worker("test-worker");
  int value = 0;
  /* Not running: inline. */
  worker.run_sync([&]() { value = 1; });
  EXPECT_EQ(value, 1);
  worker.start();
  std::thread::id where;
  worker.run_sync([&]() {
    where = std::this_thread::get_id();
    EXPECT_TRUE(worker.is_current());
    /* From the thread itself: inline, no deadlock. */
    worker.run_sync([&]() { value = 2; });
  });
  EXPECT_NE(where, std::this_thread::get_id());
  EXPECT_EQ(value, 2);
  EXPECT_FALSE(worker.is_current());
  worker.stop();
}

TEST(Worker, TimersRunOnTheThread) {
  gws::Worker worker("test-worker");
  worker.start();
  Flag once, thrice;
  std::atomic<int> ticks{0};
  std::atomic<bool> on_thread{false};
  GSource *t = worker.timeout(10, [&]() {
    on_thread = worker.is_current();
    once.raise();
  });
  guint id = worker.every(5, [&]() {
    if (++ticks == 3)
      thrice.raise();
  });
  EXPECT_TRUE(once.wait());
  EXPECT_TRUE(thrice.wait());
  EXPECT_TRUE(on_thread.load());
  worker.cancel(id);
  g_source_unref(t);
  worker.stop();
}

TEST(Worker, ShutdownEndsWhenFinishQuits) {
  int before = thread_count();
  gws::Worker worker("test-worker");
  worker.start();
  std::atomic<bool> finished{false};
  /* @finish quits later, from a timer (e.g. after a last request). */
  worker.shutdown([&]() {
    GSource *later = worker.timeout(20, [&]() {
      finished = true;
      worker.quit();
    });
    g_source_unref(later);
  });
  EXPECT_TRUE(finished.load());
  EXPECT_FALSE(worker.running());
  EXPECT_EQ(thread_count(), before);
  /* Refused once shut down. */
  EXPECT_FALSE(worker.post([]() {}));
}

TEST(Worker, StopOnItsOwnThreadDoesNotJoinItself) {
  int before = thread_count();
  auto *worker = new gws::Worker("test-worker");
  worker->start();
  Flag done;
  /* The owner's last reference goes on the worker thread: it destroys the
   * worker there. */
  worker->post([worker, &done]() {
    delete worker;
    done.raise();
  });
  EXPECT_TRUE(done.wait());
  /* The thread ends as the callback returns. */
  EXPECT_TRUE(wait_thread_count(before));
}

TEST(Worker, RestartsAfterStop) {
  gws::Worker worker("test-worker");
  for (int i = 0; i < 3; i++) {
    worker.start();
    std::atomic<bool> ran{false};
    worker.run_sync([&]() { ran = worker.is_current(); });
    EXPECT_TRUE(ran.load());
    worker.stop();
  }
}

TEST(Worker, PostRacesStopWithoutLoss) {
  /* Whatever post() accepted runs before stop() returns; the rest is
   * refused, never left queued for the next start. */
  for (int round = 0; round < 20; round++) {
    gws::Worker worker("test-worker");
    worker.start();
    std::atomic<int> accepted{0}, ran{0};
    std::atomic<bool> go{true};
    std::thread poster([&]() {
      while (go) {
        if (worker.post([&]() { ran++; }))
          accepted++;
      }
    });
    std::this_thread::yield();
    worker.stop();
    go = false;
    poster.join();
    EXPECT_EQ(accepted.load(), ran.load());
    worker.start();
    worker.run_sync([]() {});
    EXPECT_EQ(accepted.load(), ran.load());
    worker.stop();
  }
}

} // namespace
