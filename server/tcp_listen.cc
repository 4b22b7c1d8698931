#include "server/tcp_listen.h"

namespace terndb::server {

ListenAddress parse_listen_address(const std::string& word) {
  ListenAddress a;
  a.optional = !word.empty() && word[0] == '-';
  a.text = a.optional ? word.substr(1) : word;
  a.valid = true;
  if (a.text == "*") {
    a.ip = asio::ip::address_v4::any();
  } else if (a.text == "::*") {
    a.ip = asio::ip::address_v6::any();
  } else {
    asio::error_code ec;
    a.ip = asio::ip::make_address(a.text, ec);
    a.valid = !ec;
  }
  return a;
}

asio::error_code open_listener(asio::ip::tcp::acceptor& acceptor,
                               const asio::ip::tcp::endpoint& endpoint, int backlog) {
  asio::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(backlog, ec);
  return ec;
}

}  // namespace terndb::server
