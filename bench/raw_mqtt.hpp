// A raw MQTT 3.1.1 client connection for the load tools (bench/*_load.cpp): a blocking TCP
// socket to 127.0.0.1 with TCP_NODELAY, CONNECT encoded with our codec, and the CONNACK
// check. Header-only; the tools report failures their own way.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <string>

#include "protocol/codec.hpp"

namespace sw::bench {

// Connects and sends CONNECT (keep alive 0); the socket, or -1 (errno set by the failing call,
// or EINVAL when the CONNECT could not be encoded or sent).
inline int RawMqttConnect(int port, const std::string& client_id,
                          const std::optional<std::string>& username = std::nullopt,
                          const std::optional<std::string>& password = std::nullopt) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  mqtt::Connect connect;
  connect.protocol_version = mqtt::ProtocolVersion::kV311;
  connect.client_id = client_id;
  connect.username = username;
  connect.password = password;
  connect.keep_alive = 0;
  std::string bytes;
  if (!mqtt::Encode(connect, mqtt::ProtocolVersion::kV311, bytes).ok() ||
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) {
    ::close(fd);
    errno = EINVAL;
    return -1;
  }
  return fd;
}

// Reads the 4-byte CONNACK; the return code (0 = accepted), or -1 when none came.
inline int ReadConnackCode(int fd) {
  char buf[4];
  std::size_t got = 0;
  while (got < sizeof buf) {
    const auto n = ::recv(fd, buf + got, sizeof buf - got, 0);
    if (n <= 0) return -1;
    got += static_cast<std::size_t>(n);
  }
  if (buf[0] != 0x20) return -1;
  return static_cast<unsigned char>(buf[3]);
}

}  // namespace sw::bench
