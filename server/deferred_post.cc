#include "server/deferred_post.h"

#include <utility>
#include <vector>

#include "server/server.h"

namespace terndb::server {
namespace {

struct PendingPosts {
  int depth = 0;
  std::vector<std::pair<Worker*, std::function<void()>>> posts;
};

PendingPosts& pending() {
  thread_local PendingPosts p;
  return p;
}

}  // namespace

void post_to_worker(Worker& w, std::function<void()> fn) {
  PendingPosts& p = pending();
  if (p.depth > 0) {
    p.posts.emplace_back(&w, std::move(fn));
  } else {
    asio::post(w.io, std::move(fn));
  }
}

CommandPostScope::CommandPostScope() {
  ++pending().depth;
}

CommandPostScope::~CommandPostScope() {
  PendingPosts& p = pending();
  if (--p.depth > 0 || p.posts.empty()) return;
  std::vector<std::pair<Worker*, std::function<void()>>> posts;
  posts.swap(p.posts);
  for (auto& [w, fn] : posts) asio::post(w->io, std::move(fn));
}

}  // namespace terndb::server
