// Read-through cache workload for bench/hit_ratio.sh: GET a key drawn from a Zipf(s)
// distribution over N keys; on a miss, SET it (as an application fills its cache). Prints
// the hit ratio over the measured requests (after a warm-up) and the server's key count.
//
// Usage: hit_ratio_driver PORT KEYS WARMUP_REQUESTS MEASURED_REQUESTS VALUE_BYTES [S] [SEED]
// Plain sockets and RESP, pipelined 64 requests deep; no dependencies.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

class Connection {
 public:
  explicit Connection(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      throw std::runtime_error("connect failed");
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  ~Connection() { close(fd_); }

  void send_all(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = write(fd_, data.data() + off, data.size() - off);
      if (n <= 0) throw std::runtime_error("write failed");
      off += static_cast<size_t>(n);
    }
  }

  // One reply's first line; bulk payloads are skipped. Returns the line without CRLF.
  std::string read_reply() {
    std::string line = read_line();
    if (!line.empty() && line[0] == '$') {
      long len = strtol(line.c_str() + 1, nullptr, 10);
      if (len >= 0) skip(static_cast<size_t>(len) + 2);
    }
    return line;
  }

 private:
  void fill() {
    if (pos_ == buf_.size()) {
      buf_.clear();
      pos_ = 0;
    }
    char tmp[1 << 16];
    ssize_t n = read(fd_, tmp, sizeof(tmp));
    if (n <= 0) throw std::runtime_error("read failed");
    buf_.append(tmp, static_cast<size_t>(n));
  }
  std::string read_line() {
    while (true) {
      size_t eol = buf_.find("\r\n", pos_);
      if (eol != std::string::npos) {
        std::string line = buf_.substr(pos_, eol - pos_);
        pos_ = eol + 2;
        return line;
      }
      fill();
    }
  }
  void skip(size_t n) {
    while (buf_.size() - pos_ < n) fill();
    pos_ += n;
  }

  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

std::string command(const std::vector<std::string>& args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return out;
}

// Zipf over ranks 1..n by inverse CDF (binary search over the cumulative weights).
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
      cdf_[i] = sum;
    }
    for (auto& v : cdf_) v /= sum;
  }
  size_t operator()(std::mt19937_64& rng) {
    double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    return static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s PORT KEYS WARMUP MEASURED VALUE_BYTES [S] [SEED]\n", argv[0]);
    return 2;
  }
  const int port = atoi(argv[1]);
  const size_t keys = strtoull(argv[2], nullptr, 10);
  const uint64_t warmup = strtoull(argv[3], nullptr, 10);
  const uint64_t measured = strtoull(argv[4], nullptr, 10);
  const size_t value_bytes = strtoull(argv[5], nullptr, 10);
  const double s = argc > 6 ? atof(argv[6]) : 0.99;
  const uint64_t seed = argc > 7 ? strtoull(argv[7], nullptr, 10) : 12345;

  Connection conn(port);
  Zipf zipf(keys, s);
  std::mt19937_64 rng(seed);
  // Ranks are scattered over key names so that hot keys do not share hash neighbourhoods.
  std::vector<uint32_t> name_of(keys);
  for (size_t i = 0; i < keys; ++i) name_of[i] = static_cast<uint32_t>(i);
  std::shuffle(name_of.begin(), name_of.end(), std::mt19937_64(seed + 1));
  const std::string value(value_bytes, 'v');

  constexpr size_t kDepth = 64;
  uint64_t hits = 0, gets = 0, ooms = 0;
  const uint64_t total = warmup + measured;
  std::vector<std::string> batch_keys;
  for (uint64_t done = 0; done < total;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kDepth, total - done));
    batch_keys.clear();
    std::string out;
    for (size_t i = 0; i < n; ++i) {
      char name[32];
      snprintf(name, sizeof(name), "key:%07u", name_of[zipf(rng)]);
      batch_keys.emplace_back(name);
      out += command({"GET", name});
    }
    conn.send_all(out);
    std::string sets;
    size_t misses = 0;
    for (size_t i = 0; i < n; ++i) {
      std::string reply = conn.read_reply();
      const bool hit = reply != "$-1";
      if (done + i >= warmup) {
        ++gets;
        hits += hit ? 1 : 0;
      }
      if (!hit) {
        sets += command({"SET", batch_keys[i], value});
        ++misses;
      }
    }
    if (misses) {
      conn.send_all(sets);
      for (size_t i = 0; i < misses; ++i) {
        if (conn.read_reply()[0] == '-') ++ooms;
      }
    }
    done += n;
  }
  conn.send_all(command({"DBSIZE"}));
  std::string dbsize = conn.read_reply();
  printf("hit_ratio %.4f keys %s errors %llu\n",
         gets ? static_cast<double>(hits) / static_cast<double>(gets) : 0.0, dbsize.c_str() + 1,
         static_cast<unsigned long long>(ooms));
  return 0;
}
