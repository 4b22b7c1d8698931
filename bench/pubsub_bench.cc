// Pub/sub fan-out throughput of a Redis-protocol server: how many messages per second it
// delivers to its subscribers. (redis-benchmark measures the publisher's side only.)
//
// N subscriber connections SUBSCRIBE to one channel; P publisher connections send M
// PUBLISH commands in all, pipelined in batches; reader threads drain the subscribers with
// epoll. Every message has the same size, so a subscriber's stream is complete when it
// holds exactly M frames' worth of bytes; the last frame of each stream is checked too.
// The clock runs from the first PUBLISH to the last byte of the last subscriber.
//
//   pubsub_bench --port 6379 [--subscribers 50] [--messages 200000] [--payload 32]
//                [--publishers 1] [--batch 100] [--readers 2]
//
// Prints one line: deliveries, seconds, deliveries/s and publishes/s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  int port = 6379;
  int subscribers = 50;
  long messages = 200000;
  int payload = 32;
  int publishers = 1;
  int batch = 100;
  int readers = 2;
};

[[noreturn]] void die(const std::string& what) {
  fprintf(stderr, "pubsub_bench: %s: %s\n", what.c_str(), strerror(errno));
  exit(1);
}

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

void send_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) die("send");
    off += static_cast<size_t>(n);
  }
}

std::string read_exact(int fd, size_t len) {
  std::string out(len, '\0');
  size_t off = 0;
  while (off < len) {
    ssize_t n = recv(fd, out.data() + off, len - off, 0);
    if (n <= 0) die("recv");
    off += static_cast<size_t>(n);
  }
  return out;
}

std::string command(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

std::string frame(const std::string& channel, const std::string& payload) {
  return "*3\r\n$7\r\nmessage\r\n$" + std::to_string(channel.size()) + "\r\n" + channel + "\r\n$" +
         std::to_string(payload.size()) + "\r\n" + payload + "\r\n";
}

// Payloads are the message number, zero-padded to the payload size.
std::string payload_for(long i, int size) {
  char buf[32];
  snprintf(buf, sizeof(buf), "%0*ld", size < 20 ? size : 20, i);
  std::string p(buf);
  p.resize(static_cast<size_t>(size), '.');
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    long v = strtol(argv[i + 1], nullptr, 10);
    if (k == "--port")
      o.port = static_cast<int>(v);
    else if (k == "--subscribers")
      o.subscribers = static_cast<int>(v);
    else if (k == "--messages")
      o.messages = v;
    else if (k == "--payload")
      o.payload = static_cast<int>(v);
    else if (k == "--publishers")
      o.publishers = static_cast<int>(v);
    else if (k == "--batch")
      o.batch = static_cast<int>(v);
    else if (k == "--readers")
      o.readers = static_cast<int>(v);
    else {
      fprintf(stderr, "pubsub_bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (o.payload < 20) o.payload = 20;
  const std::string channel = "bench:fanout";

  // Subscribe everyone and wait for each confirmation.
  std::vector<int> subs;
  const std::string confirm = "*3\r\n$9\r\nsubscribe\r\n$" + std::to_string(channel.size()) +
                              "\r\n" + channel + "\r\n:1\r\n";
  for (int i = 0; i < o.subscribers; ++i) {
    int fd = connect_to(o.port);
    send_all(fd, command({"SUBSCRIBE", channel}));
    subs.push_back(fd);
  }
  for (int fd : subs) {
    if (read_exact(fd, confirm.size()) != confirm) {
      fprintf(stderr, "pubsub_bench: unexpected SUBSCRIBE reply\n");
      return 1;
    }
  }

  const size_t frame_len = frame(channel, payload_for(0, o.payload)).size();
  const size_t stream_len = frame_len * static_cast<size_t>(o.messages);
  const std::string last_frame = frame(channel, payload_for(o.messages - 1, o.payload));

  // Readers: each drains its share of the subscribers until every stream is complete.
  std::atomic<bool> failed{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < o.readers; ++r) {
    readers.emplace_back([&, r]() {
      int ep = epoll_create1(0);
      std::vector<size_t> got(subs.size(), 0);
      std::vector<std::string> tail(subs.size());
      int open = 0;
      for (size_t i = static_cast<size_t>(r); i < subs.size();
           i += static_cast<size_t>(o.readers)) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = i;
        epoll_ctl(ep, EPOLL_CTL_ADD, subs[i], &ev);
        ++open;
      }
      std::vector<char> buf(1 << 18);
      epoll_event events[64];
      while (open > 0 && !failed.load()) {
        int n = epoll_wait(ep, events, 64, 10000);
        if (n <= 0) {
          fprintf(stderr, "pubsub_bench: no data for 10 s\n");
          failed = true;
          break;
        }
        for (int e = 0; e < n; ++e) {
          size_t i = events[e].data.u64;
          ssize_t len = recv(subs[i], buf.data(), buf.size(), 0);
          if (len <= 0) {
            fprintf(stderr, "pubsub_bench: subscriber disconnected\n");
            failed = true;
            break;
          }
          got[i] += static_cast<size_t>(len);
          // Keep the last frame's worth of bytes to check the end of the stream.
          tail[i].append(buf.data(), static_cast<size_t>(len));
          if (tail[i].size() > 4 * frame_len) tail[i].erase(0, tail[i].size() - frame_len);
          if (got[i] >= stream_len) {
            // With one publisher the last message sent is the last one received.
            const bool ends_right =
                o.publishers > 1 ||
                (tail[i].size() >= frame_len &&
                 tail[i].compare(tail[i].size() - frame_len, frame_len, last_frame) == 0);
            if (got[i] != stream_len || !ends_right) {
              fprintf(stderr, "pubsub_bench: subscriber stream does not end as expected\n");
              failed = true;
            }
            epoll_ctl(ep, EPOLL_CTL_DEL, subs[i], nullptr);
            --open;
          }
        }
      }
      close(ep);
    });
  }

  // Publishers: pipelined batches; each waits for its batch's replies before the next.
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> publishers;
  std::atomic<long> next{0};
  for (int p = 0; p < o.publishers; ++p) {
    publishers.emplace_back([&]() {
      int fd = connect_to(o.port);
      std::string reply_buf;
      std::vector<char> buf(1 << 16);
      while (!failed.load()) {
        long first = next.fetch_add(o.batch);
        if (first >= o.messages) break;
        long last = std::min(first + o.batch, o.messages);
        std::string batch;
        for (long i = first; i < last; ++i) {
          batch += command({"PUBLISH", channel, payload_for(i, o.payload)});
        }
        send_all(fd, batch);
        long replies = 0;
        while (replies < last - first) {
          ssize_t n = recv(fd, buf.data(), buf.size(), 0);
          if (n <= 0) die("publisher recv");
          for (ssize_t j = 0; j < n; ++j) replies += buf[static_cast<size_t>(j)] == '\n';
        }
      }
      close(fd);
    });
  }
  for (auto& t : publishers) t.join();
  const auto published = std::chrono::steady_clock::now();
  for (auto& t : readers) t.join();
  const auto end = std::chrono::steady_clock::now();
  for (int fd : subs) close(fd);
  if (failed.load()) return 1;

  const double secs = std::chrono::duration<double>(end - start).count();
  const double pub_secs = std::chrono::duration<double>(published - start).count();
  const double deliveries = static_cast<double>(o.messages) * o.subscribers;
  printf("deliveries=%.0f seconds=%.3f deliveries_per_sec=%.0f publishes_per_sec=%.0f\n",
         deliveries, secs, deliveries / secs, static_cast<double>(o.messages) / pub_secs);
  return 0;
}
