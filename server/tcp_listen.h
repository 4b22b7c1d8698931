// TCP listeners from `bind`-style address lists (bind, metrics-bind): "*" is every IPv4
// address, "::*" every IPv6 one, and a leading '-' marks an address that may be missing.
#pragma once

#include <asio.hpp>
#include <string>

namespace terndb::server {

struct ListenAddress {
  std::string text;  // the address without its '-'
  asio::ip::address ip;
  bool optional = false;
  bool valid = false;  // false: not an address asio can read
};

ListenAddress parse_listen_address(const std::string& word);

// Opens, binds and listens. SO_REUSEADDR lets a restart bind at once; IPv6 sockets are
// IPv6-only, so "*" and "::*" can share a port.
asio::error_code open_listener(asio::ip::tcp::acceptor& acceptor,
                               const asio::ip::tcp::endpoint& endpoint, int backlog);

}  // namespace terndb::server
